import { useCallback } from 'react';
import { Link } from 'react-router';
import { fetchRecommendations, fetchSimilarItems } from '../api/store';
import type { ItemList } from '../api/types';
import { ProductSection } from '../components/ProductSection';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { type RequestState, useRequest } from '../hooks/useRequest';
import type { ItemSnapshot } from '../session/activity';
import { useActivity } from '../session/ActivityContext';
import { useShopper } from '../session/ShopperContext';
import { decodeEntities } from '../text/decodeEntities';

/**
 * Recommendations for the chosen user; for anonymous visitors, popular items that turn into
 * recommendations for their session (sessionId) as they browse. Fetched afresh on every visit so
 * products viewed meanwhile show up in what is recommended. Below: items like the last one viewed,
 * and the recently viewed ones themselves, which make the personalisation visible.
 */
export function HomePage() {
  const { userId, user, sessionId } = useShopper();
  const { recentlyViewed } = useActivity();
  useDocumentTitle(null);
  const load = useCallback(
    (signal: AbortSignal) => fetchRecommendations({ userId, sessionId }, signal),
    [userId, sessionId],
  );
  const recommendations = useRequest(load);
  const browsed = recentlyViewed.length > 0;

  const heading = userId
    ? `Recommended for you${user ? `, ${user.FirstName}` : ''}`
    : browsed
      ? 'Picked for this visit'
      : 'Popular right now';
  const intro = userId ? null : (
    <p className="section-intro">
      {browsed
        ? 'Chosen for what you looked at during this visit. Choose a user to see theirs.'
        : 'Picks that adapt to what you look at during this visit. Choose a user to see theirs.'}
    </p>
  );
  return (
    <>
      <ProductSection
        heading={heading}
        headingLevel={1}
        intro={intro}
        request={recommendations}
        origin={{ recipe: 'User-Personalization' }}
        empty="No recommendations yet. Browse a few products and come back."
      />
      {recentlyViewed[0] && <BecauseYouViewed item={recentlyViewed[0]} />}
      {browsed && <RecentlyViewed items={recentlyViewed} />}
    </>
  );
}

function BecauseYouViewed({ item }: { item: ItemSnapshot }) {
  const load = useCallback((signal: AbortSignal) => fetchSimilarItems(item.asin, signal), [item.asin]);
  const similar = useRequest(load);
  const title = decodeEntities(item.title || item.asin);
  return (
    <ProductSection
      heading={
        <>
          Because you viewed <Link to={`/product/${encodeURIComponent(item.asin)}`}>{title}</Link>
        </>
      }
      label={`Because you viewed ${title}`}
      request={similar}
      layout="strip"
      origin={{ recipe: 'SIMS' }}
      empty="No similar items found."
    />
  );
}

function RecentlyViewed({ items }: { items: ItemSnapshot[] }) {
  const request: RequestState<ItemList> & { retry: () => void } = {
    status: 'ready',
    data: { results: items },
    retry: () => {},
  };
  return (
    <ProductSection
      heading="Recently viewed"
      request={request}
      layout="strip"
      origin={{ fixed: 'Kept in this browser (localStorage); no API call' }}
      empty="Nothing viewed yet."
    />
  );
}
