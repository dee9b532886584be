import { Link } from 'react-router';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

/** The one not-found state, for unknown addresses and unknown products alike: no Retry, a way back. */
export function NotFoundPage({ what = 'page' }: { what?: 'page' | 'product' }) {
  const heading = what === 'product' ? 'Product not found' : 'Page not found';
  useDocumentTitle(heading);
  return (
    <section className="product-section not-found">
      <h1 tabIndex={-1}>{heading}</h1>
      <p className="empty-state">
        {what === 'product' ? 'The store has no product at this address.' : 'There is nothing at this address.'}{' '}
        <Link to="/">Back to the store</Link>
      </p>
    </section>
  );
}
