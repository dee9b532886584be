import { useId, type ReactNode } from 'react';
import type { ItemList } from '../api/types';
import type { RequestState } from '../hooks/useRequest';
import { useOutage } from '../session/OutageContext';
import { DemoLabel, type RowOrigin } from './DemoLabel';
import { ErrorState } from './ErrorState';
import { ProductList, ProductListSkeleton, type ProductListLayout } from './ProductList';
import { WarningNotice } from './WarningNotice';

interface ProductSectionProps {
  heading: ReactNode;
  /** The list's accessible name, when the heading is not plain text. */
  label?: string;
  intro?: ReactNode;
  request: RequestState<ItemList> & { retry: () => void };
  layout?: ProductListLayout;
  empty: ReactNode;
  /** Page-level sections use an h1, rails on the product page an h2. */
  headingLevel?: 1 | 2;
  /** What demo mode says is behind the row. */
  origin?: RowOrigin;
  /** Below the list once it has loaded (e.g. "Show more"). */
  footer?: ReactNode;
}

/** A titled list of products fed by one API call: skeleton, error with retry, warning, or items. */
export function ProductSection({
  heading,
  label,
  intro,
  request,
  layout = 'grid',
  empty,
  headingLevel = 2,
  origin,
  footer,
}: ProductSectionProps) {
  const Heading = headingLevel === 1 ? 'h1' : 'h2';
  const headingId = useId();
  const name = label ?? (typeof heading === 'string' ? heading : '');
  const down = useOutage(request);
  return (
    <section className="product-section" aria-labelledby={headingId}>
      <Heading id={headingId} tabIndex={headingLevel === 1 ? -1 : undefined}>
        {heading}
      </Heading>
      {origin && <DemoLabel origin={origin} data={request.status === 'ready' ? request.data : undefined} />}
      {intro}
      {request.status === 'loading' && <ProductListSkeleton layout={layout} count={layout === 'strip' ? 6 : 8} />}
      {request.status === 'error' &&
        (down ? (
          <p className="empty-state">Not available right now (see the notice above).</p>
        ) : (
          <ErrorState title={`Could not load “${name}”.`} error={request.error} onRetry={request.retry} />
        ))}
      {request.status === 'ready' && (
        <>
          {request.data.warning && <WarningNotice text={request.data.warning} />}
          {request.data.results.length > 0 ? (
            <ProductList
              items={request.data.results}
              layout={layout}
              label={name}
              titleLevel={headingLevel === 1 ? 2 : 3}
            />
          ) : (
            <div className="empty-state">{empty}</div>
          )}
          {footer}
        </>
      )}
    </section>
  );
}
