import { vi } from 'vitest';

/** A canned answer for one API path: a JSON body with a status, or a function of the call count. */
export type FakeAnswer = { status?: number; body: unknown } | ((call: number) => { status?: number; body: unknown });

/**
 * Replaces fetch with a fake AllStore API. Routes are keyed by path below the API base (without
 * the query string); every request URL is recorded so tests can check exactly what was asked.
 */
export function fakeApi(routes: Record<string, FakeAnswer>) {
  const requests: string[] = [];
  const calls = new Map<string, number>();
  const fetchMock = vi.fn(async (input: RequestInfo | URL) => {
    const url = String(input);
    requests.push(url);
    const path = url.replace(/^\/Prod\//, '').split('?')[0]!;
    const answer = routes[path];
    if (!answer) return jsonResponse(404, { message: `No route ${path}` });
    const call = (calls.get(path) ?? 0) + 1;
    calls.set(path, call);
    const { status = 200, body } = typeof answer === 'function' ? answer(call) : answer;
    return jsonResponse(status, body);
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    requests,
    /** Requests whose path (below /Prod/) starts with `prefix`. */
    requestsTo: (prefix: string) => requests.filter((url) => url.startsWith(`/Prod/${prefix}`)),
  };
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
