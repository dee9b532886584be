import { Link } from 'react-router';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

export function NotFoundPage() {
  useDocumentTitle('Page not found');
  return (
    <section className="product-section">
      <h1>Page not found</h1>
      <p className="empty-state">
        There is nothing at this address. <Link to="/">Back to the store</Link>
      </p>
    </section>
  );
}
