import { useId, type ReactNode } from 'react';
import type { ItemList } from '../api/types';
import type { RequestState } from '../hooks/useRequest';
import { ErrorState } from './ErrorState';
import { ProductList, ProductListSkeleton, type ProductListLayout } from './ProductList';
import { WarningNotice } from './WarningNotice';

interface ProductSectionProps {
  heading: string;
  intro?: ReactNode;
  request: RequestState<ItemList> & { retry: () => void };
  layout?: ProductListLayout;
  empty: string;
  /** Page-level sections use an h1, rails on the product page an h2. */
  headingLevel?: 1 | 2;
}

/** A titled list of products fed by one API call: skeleton, error with retry, warning, or items. */
export function ProductSection({ heading, intro, request, layout = 'grid', empty, headingLevel = 2 }: ProductSectionProps) {
  const Heading = headingLevel === 1 ? 'h1' : 'h2';
  const headingId = useId();
  return (
    <section className="product-section" aria-labelledby={headingId}>
      <Heading id={headingId}>{heading}</Heading>
      {intro}
      {request.status === 'loading' && <ProductListSkeleton layout={layout} count={layout === 'strip' ? 6 : 8} />}
      {request.status === 'error' && (
        <ErrorState title={`Could not load “${heading}”.`} error={request.error} onRetry={request.retry} />
      )}
      {request.status === 'ready' && (
        <>
          {request.data.warning && <WarningNotice text={request.data.warning} />}
          {request.data.results.length > 0 ? (
            <ProductList items={request.data.results} layout={layout} label={heading} />
          ) : (
            <p className="empty-state">{empty}</p>
          )}
        </>
      )}
    </section>
  );
}

