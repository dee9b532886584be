/**
 * Build-time settings. The API base is baked in by Vite (`VITE_API_BASE_URL`) so one bundle can be
 * served by the local store (same origin, `/Prod/`) or from a web bucket pointing at API Gateway.
 */
export const API_BASE_URL = withTrailingSlash(import.meta.env.VITE_API_BASE_URL || '/Prod/');

/** A request that hangs must end in an error the visitor can retry, never an endless spinner. */
export const REQUEST_TIMEOUT_MS = 15_000;

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
