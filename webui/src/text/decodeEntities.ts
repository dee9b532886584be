/** Decoded texts, by their source: a page shows the same titles, brands and categories many times. */
const decoded = new Map<string, string>();
const MAX_CACHED = 1_000;

/**
 * Catalogue titles come from scraped pages and carry HTML entities ("Men&#39;s &amp; ...").
 * The browser's own parser decodes every named and numeric entity; the parsed document is inert
 * (no scripts run, nothing loads) and only its text is kept, so markup can never be injected.
 * Parsing is the costly part, so each text is parsed once (up to MAX_CACHED texts are kept).
 */
export function decodeEntities(text: string): string {
  if (!text.includes('&') && !text.includes('<')) return text;
  const known = decoded.get(text);
  if (known !== undefined) return known;
  const parsed = new DOMParser().parseFromString(`<!doctype html><body>${text}`, 'text/html');
  const result = parsed.body.textContent ?? '';
  if (decoded.size >= MAX_CACHED) decoded.clear();
  decoded.set(text, result);
  return result;
}
