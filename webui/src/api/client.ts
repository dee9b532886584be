import { API_BASE_URL, REQUEST_TIMEOUT_MS } from '../config';

/** An API call that failed, with the message the API (or the network) gave. */
export class ApiError extends Error {
  /** HTTP status, or 0 when the API could not be reached at all. */
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export type QueryParams = Record<string, string | number | string[] | null | undefined>;

/**
 * Builds an API URL. Every query value goes through encodeURIComponent (spaces as %20, never `+`,
 * which API Gateway would pass through literally); empty values are left out; a list repeats the name.
 */
export function apiUrl(path: string, params: QueryParams = {}): string {
  const query = Object.entries(params)
    .flatMap(([name, value]) => (Array.isArray(value) ? value.map((one) => [name, one] as const) : [[name, value] as const]))
    .filter((entry): entry is readonly [string, string | number] => entry[1] != null && entry[1] !== '')
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join('&');
  return `${API_BASE_URL}${path}${query ? `?${query}` : ''}`;
}

/** GETs JSON from the API; any failure becomes an ApiError with a readable message. */
export async function getJson<T>(path: string, params: QueryParams = {}, signal?: AbortSignal): Promise<T> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), REQUEST_TIMEOUT_MS);
  const abortOnCancel = () => timeout.abort();
  signal?.addEventListener('abort', abortOnCancel);
  try {
    let response: Response;
    try {
      response = await fetch(apiUrl(path, params), {
        headers: { Accept: 'application/json' },
        signal: timeout.signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const reason = timeout.signal.aborted ? 'did not answer in time' : 'could not be reached';
      throw new ApiError(`The store ${reason}. Check your connection and try again.`, 0);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw new ApiError(errorMessage(body, response), response.status);
    if (body === undefined) throw new ApiError('The store sent a response that is not JSON.', response.status);
    return body as T;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abortOnCancel);
  }
}

function errorMessage(body: unknown, response: Response): string {
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') {
    return body.message;
  }
  return `The store answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`;
}
