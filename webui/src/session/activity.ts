import type { Item } from '../api/types';
import { readStored, writeStored } from './persistence';

/**
 * What a shopper did in this browser, kept in localStorage: products viewed (per shopper, so
 * switching the demo user shows that user's own), the cart, and whether demo mode is on.
 */

export const VIEWED_KEY = 'allstore.recentlyViewed';
export const CART_KEY = 'allstore.cart';
export const DEMO_KEY = 'allstore.demoMode';
export const MAX_VIEWED = 12;

/** The fields of an item a card needs, so recently viewed and cart rows cost no request. */
export type ItemSnapshot = Pick<
  Item,
  'asin' | 'title' | 'imUrl' | 'price' | 'brand' | 'category' | 'genre' | 'rating' | 'ratingCount'
>;

export interface CartLine {
  item: ItemSnapshot;
  quantity: number;
}

export function snapshot(item: Item): ItemSnapshot {
  const { asin, title, imUrl, price, brand, category, genre, rating, ratingCount } = item;
  return { asin, title, imUrl, price, brand, category, genre, rating, ratingCount };
}

/** Whose history a view belongs to: the chosen user, or the anonymous visitor's session. */
export function viewerKey(userId: string | null, sessionId: string): string {
  return userId ? `user:${userId}` : `session:${sessionId}`;
}

export function readJson<T>(key: string, fallback: T, valid: (value: unknown) => value is T): T {
  const raw = readStored(key);
  if (!raw) return fallback;
  try {
    const value: unknown = JSON.parse(raw);
    return valid(value) ? value : fallback;
  } catch {
    return fallback;
  }
}

export function writeJson(key: string, value: unknown): void {
  writeStored(key, JSON.stringify(value));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSnapshot(value: unknown): value is ItemSnapshot {
  return isRecord(value) && typeof value.asin === 'string';
}

export function isViewedByViewer(value: unknown): value is Record<string, ItemSnapshot[]> {
  return isRecord(value) && Object.values(value).every((list) => Array.isArray(list) && list.every(isSnapshot));
}

export function isCart(value: unknown): value is CartLine[] {
  return (
    Array.isArray(value) &&
    value.every((line) => isRecord(line) && isSnapshot(line.item) && typeof line.quantity === 'number')
  );
}

/** `viewed` with `item` moved to the front (most recent first), at most MAX_VIEWED long. */
export function withView(viewed: ItemSnapshot[], item: ItemSnapshot): ItemSnapshot[] {
  return [item, ...viewed.filter((seen) => seen.asin !== item.asin)].slice(0, MAX_VIEWED);
}
