import { useCallback } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { fetchCategoryPage } from '../api/store';
import { ListFooter } from '../components/ListFooter';
import { ProductSection } from '../components/ProductSection';
import { Refinements, useRefinement } from '../components/Refinements';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { type PageLoader, usePagedList } from '../hooks/usePagedList';
import { decodeEntities } from '../text/decodeEntities';

export const CATEGORY_PAGE_SIZE = 12;

const SORTS: [string, string][] = [
  ['popularity', 'Most popular'],
  ['price-asc', 'Price: low to high'],
  ['price-desc', 'Price: high to low'],
];

/**
 * `/category/<name>`: the category's products, most popular first, a page at a time (category-index
 * and nextToken); filtered by brand or price, or sorted by price, the API pages with `from` instead.
 */
export function CategoryPage() {
  const { name = '' } = useParams();
  const category = decodeEntities(name);
  useDocumentTitle(category);
  const { refinement, key, set } = useRefinement();
  const refined = refinement.brand.length > 0 || Boolean(refinement.minPrice || refinement.maxPrice || refinement.sort);
  const loadPage: PageLoader = useCallback(
    (cursor, signal) =>
      fetchCategoryPage(
        name,
        {
          limit: CATEGORY_PAGE_SIZE,
          nextToken: cursor && 'nextToken' in cursor ? cursor.nextToken : undefined,
          from: cursor && 'from' in cursor ? cursor.from : undefined,
        },
        signal,
        refinement,
      ),
    [name, refinement],
  );
  const list = usePagedList(loadPage, refined ? 'offset' : 'token', `${useLocation().key}/category/${name}/${key}`);
  const department = list.request.status === 'ready' ? list.request.data.results[0]?.main_cat : undefined;
  return (
    <>
      <Breadcrumb trail={department ? [decodeEntities(department)] : []} current={category} />
      <ProductSection
        heading={category}
        headingLevel={1}
        request={list.request}
        intro={
          <Refinements
            key={name}
            refinement={refinement}
            onChange={set}
            items={list.request.status === 'ready' ? list.request.data.results : []}
            sorts={SORTS}
          />
        }
        origin={{
          fixed: refined
            ? 'Catalogue order, filtered and sorted by the API over the DynamoDB category-index results, not personalised'
            : 'Catalogue order: most popular first (DynamoDB category-index), not personalised',
        }}
        empty={
          refined ? (
            'No products in this category match these filters.'
          ) : (
            <>
              There are no products in “{category}”. <Link to="/">Back to the store</Link>
            </>
          )
        }
        footer={
          <ListFooter
            shown={list.shown}
            total={list.total}
            noun="products"
            hasMore={list.hasMore}
            loadingMore={list.loadingMore}
            error={list.moreError}
            onMore={list.more}
          />
        }
      />
    </>
  );
}

/** Home › department › category: where a page sits in the store. Links only what has a page. */
export function Breadcrumb({ trail, current, links = {} }: { trail: string[]; current: string; links?: Record<string, string> }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>
          <Link to="/">Home</Link>
        </li>
        {trail.map((step) => (
          <li key={step}>{links[step] ? <Link to={links[step]}>{step}</Link> : step}</li>
        ))}
        <li aria-current="page">{current}</li>
      </ol>
    </nav>
  );
}
