import { getJson } from './client';
import type { CategoryTree, Item, ItemList, ProductDescription, StoreSession } from './types';

/** One function per API route the store uses; path segments are URL-encoded here. */

export function fetchItem(asin: string, signal?: AbortSignal): Promise<Item> {
  return getJson<Item>(`items/${encodeURIComponent(asin)}`, {}, signal);
}

export function fetchDescription(asin: string, signal?: AbortSignal): Promise<ProductDescription> {
  return getJson<ProductDescription>('description', { asin }, signal);
}

/** A signed-in user's recommendations, or popular items that adapt to an anonymous session. */
export function fetchRecommendations(
  viewer: { userId: string | null; sessionId: string },
  signal?: AbortSignal,
): Promise<ItemList> {
  if (viewer.userId) return getJson<ItemList>(`recommendations/${encodeURIComponent(viewer.userId)}`, {}, signal);
  return getJson<ItemList>('recommendations', { sessionId: viewer.sessionId }, signal);
}

export function fetchSimilarItems(asin: string, signal?: AbortSignal): Promise<ItemList> {
  return getJson<ItemList>(`recommendationsitem/${encodeURIComponent(asin)}`, {}, signal);
}

/** A list's brand and price filters and its order, as the API's query parameters. */
export interface Refinement {
  brand: string[];
  minPrice?: string;
  maxPrice?: string;
  sort?: string;
}

/** One page of search hits; `from` skips that many (the answer's `total` counts them all). */
export function searchItems(
  query: string,
  userId: string | null,
  signal?: AbortSignal,
  page: { from?: number; limit?: number } = {},
  refinement: Refinement = { brand: [] },
): Promise<ItemList> {
  return getJson<ItemList>('search', { q: query, u: userId, limit: page.limit, from: page.from || null, ...refinement }, signal);
}

/** One page of a category, most popular first; the first page says how many items it has. */
export function fetchCategoryPage(
  category: string,
  page: { nextToken?: string; from?: number; limit?: number },
  signal?: AbortSignal,
  refinement: Refinement = { brand: [] },
): Promise<ItemList> {
  return getJson<ItemList>(
    'items',
    { category, limit: page.limit, nextToken: page.nextToken, from: page.from || null, ...refinement },
    signal,
  );
}

/** The catalogue's departments and categories with their item counts (for the category menu). */
export function fetchCategories(signal?: AbortSignal): Promise<CategoryTree> {
  return getJson<CategoryTree>('categories', {}, signal);
}

/** The most popular items across the store (no session, so never personalised). */
export function fetchPopularItems(limit: number, signal?: AbortSignal): Promise<ItemList> {
  return getJson<ItemList>('items', { limit }, signal);
}

export function fetchSession(signal?: AbortSignal): Promise<StoreSession> {
  return getJson<StoreSession>('session', {}, signal);
}
