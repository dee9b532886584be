/**
 * The visitor's chosen user and session id survive reloads via localStorage. Storage can be
 * unavailable (private modes, disabled cookies): then the values simply last for the page's life.
 */

export const USER_KEY = 'allstore.userId';
export const SESSION_KEY = 'allstore.sessionId';

export function readStored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function writeStored(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // Storage refused (quota or privacy settings): keep the value in memory only.
  }
}

/** The stored session id, or a new random one (UUID v4) that is stored for next time. */
export function loadOrCreateSessionId(): string {
  const stored = readStored(SESSION_KEY);
  if (stored) return stored;
  const created = randomUuid();
  writeStored(SESSION_KEY, created);
  return created;
}

/** crypto.randomUUID exists only in secure contexts; getRandomValues works on plain-http hosts too. */
function randomUuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
