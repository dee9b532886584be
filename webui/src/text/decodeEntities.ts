/**
 * Catalogue titles come from scraped pages and carry HTML entities ("Men&#39;s &amp; ...").
 * The browser's own parser decodes every named and numeric entity; the parsed document is inert
 * (no scripts run, nothing loads) and only its text is kept, so markup can never be injected.
 */
export function decodeEntities(text: string): string {
  if (!text.includes('&') && !text.includes('<')) return text;
  const parsed = new DOMParser().parseFromString(`<!doctype html><body>${text}`, 'text/html');
  return parsed.body.textContent ?? '';
}
