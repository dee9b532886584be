/** The store's page for a category (the API's /items?category=). */
export function categoryPath(category: string): string {
  return `/category/${encodeURIComponent(category)}`;
}
