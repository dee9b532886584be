import { useCallback } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { fetchPopularItems, searchItems } from '../api/store';
import { ListFooter } from '../components/ListFooter';
import { ProductSection } from '../components/ProductSection';
import { Refinements, useRefinement } from '../components/Refinements';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { type PageLoader, usePagedList } from '../hooks/usePagedList';
import { useRequest } from '../hooks/useRequest';
import { useShopper } from '../session/ShopperContext';

export const SEARCH_PAGE_SIZE = 24;
const SUGGESTIONS = 8;
const SORTS: [string, string][] = [
  ['relevance', 'Best match'],
  ['popularity', 'Most popular'],
  ['price-asc', 'Price: low to high'],
  ['price-desc', 'Price: high to low'],
];

/** Results for `/search?q=…`, personalised for the chosen user (re-ranked items get a badge). */
export function SearchPage() {
  const [searchParams] = useSearchParams();
  const query = (searchParams.get('q') ?? '').trim();
  useDocumentTitle(query ? `Search: ${query}` : 'Search');
  if (!query) {
    return (
      <section className="product-section">
        <h1 tabIndex={-1}>Search</h1>
        <p className="empty-state">Type what you are looking for in the search box above.</p>
      </section>
    );
  }
  return <SearchResults query={query} />;
}

function SearchResults({ query }: { query: string }) {
  const { userId } = useShopper();
  const { refinement, key, set } = useRefinement();
  const loadPage: PageLoader = useCallback(
    (cursor, signal) =>
      searchItems(
        query,
        userId,
        signal,
        { limit: SEARCH_PAGE_SIZE, from: cursor && 'from' in cursor ? cursor.from : undefined },
        refinement,
      ),
    [query, userId, refinement],
  );
  const list = usePagedList(loadPage, 'offset', `${useLocation().key}/search/${userId ?? ''}/${query}/${key}`);
  const nothingFound = list.request.status === 'ready' && list.request.data.results.length === 0;
  const corrected = list.request.status === 'ready' ? list.request.data.correctedQuery : undefined;
  return (
    <>
      <ProductSection
        heading={`Results for “${query}”`}
        headingLevel={1}
        request={list.request}
        intro={
          <>
            {corrected && (
              <p className="section-intro">
                Showing results for <strong>{corrected}</strong>. No product matches “{query}” exactly.
              </p>
            )}
            <Refinements
              key={query}
              refinement={refinement}
              onChange={set}
              items={list.request.status === 'ready' ? list.request.data.results : []}
              sorts={SORTS}
            />
          </>
        }
        origin={{ recipe: 'Personalized-Ranking' }}
        empty="No products match your search. Try other words, or one of the popular products below."
        footer={
          <ListFooter
            shown={list.shown}
            total={list.total}
            noun={list.total === 1 ? 'product' : 'products'}
            hasMore={list.hasMore}
            loadingMore={list.loadingMore}
            error={list.moreError}
            onMore={list.more}
          />
        }
      />
      {nothingFound && <PopularSuggestions />}
    </>
  );
}

/** Instead of a dead end: the store's most popular products. */
function PopularSuggestions() {
  const load = useCallback((signal: AbortSignal) => fetchPopularItems(SUGGESTIONS, signal), []);
  const popular = useRequest(load);
  return (
    <ProductSection
      heading="Popular right now"
      request={popular}
      layout="strip"
      origin={{ fixed: 'The most popular items (DynamoDB popular-index), not personalised' }}
      empty="No products yet."
    />
  );
}
