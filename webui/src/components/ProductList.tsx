import { memo } from 'react';
import type { Item } from '../api/types';
import { ProductCard } from './ProductCard';

export type ProductListLayout = 'grid' | 'strip';

/**
 * Products as a responsive grid (pages) or a horizontally scrolling strip (product page rails).
 * Memoised: its section re-renders for demo mode and outages, but the items (a request's answer)
 * stay the same array, so the cards are not rendered again.
 */
export const ProductList = memo(function ProductList({
  items,
  layout = 'grid',
  label,
  titleLevel = 3,
}: {
  items: Item[];
  layout?: ProductListLayout;
  label: string;
  /** One below the list's own heading, so heading levels never skip. */
  titleLevel?: 2 | 3;
}) {
  return (
    <ul className={`product-list product-list--${layout}`} aria-label={label}>
      {items.map((item) => (
        <li key={item.asin}>
          <ProductCard item={item} titleLevel={titleLevel} />
        </li>
      ))}
    </ul>
  );
});

/** Placeholder tiles with the list's shape, shown while products load. */
export function ProductListSkeleton({ count = 8, layout = 'grid' }: { count?: number; layout?: ProductListLayout }) {
  return (
    <div className={`product-list product-list--${layout}`} aria-busy="true" role="status">
      <span className="visually-hidden">Loading products…</span>
      {Array.from({ length: count }, (_, index) => (
        <div key={index} className="product-card product-card--skeleton" aria-hidden="true">
          <div className="skeleton skeleton--image" />
          <div className="skeleton skeleton--line" />
          <div className="skeleton skeleton--line skeleton--short" />
        </div>
      ))}
    </div>
  );
}
