import { useCallback } from 'react';
import { useSearchParams } from 'react-router';
import { searchItems } from '../api/store';
import { ProductSection } from '../components/ProductSection';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useRequest } from '../hooks/useRequest';
import { useShopper } from '../session/ShopperContext';

/** Results for `/search?q=…`, personalised for the chosen user (re-ranked items get a badge). */
export function SearchPage() {
  const [searchParams] = useSearchParams();
  const query = (searchParams.get('q') ?? '').trim();
  useDocumentTitle(query ? `Search: ${query}` : 'Search');
  if (!query) {
    return (
      <section className="product-section">
        <h1>Search</h1>
        <p className="empty-state">Type what you are looking for in the search box above.</p>
      </section>
    );
  }
  return <SearchResults query={query} />;
}

function SearchResults({ query }: { query: string }) {
  const { userId } = useShopper();
  const load = useCallback((signal: AbortSignal) => searchItems(query, userId, signal), [query, userId]);
  const results = useRequest(load);
  const count = results.status === 'ready' ? results.data.results.length : null;
  return (
    <ProductSection
      heading={`Results for “${query}”`}
      headingLevel={1}
      intro={count !== null && <p className="section-intro">{count === 1 ? '1 product' : `${count} products`}</p>}
      request={results}
      empty="No products match your search. Try other words."
    />
  );
}
