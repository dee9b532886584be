import { useCallback } from 'react';
import { fetchRecommendations } from '../api/store';
import { ProductSection } from '../components/ProductSection';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useRequest } from '../hooks/useRequest';
import { useShopper } from '../session/ShopperContext';

/**
 * Recommendations for the chosen user; for anonymous visitors, popular items that turn into
 * recommendations for their session (sessionId) as they browse. Fetched afresh on every visit so
 * products viewed meanwhile show up in what is recommended.
 */
export function HomePage() {
  const { userId, user, sessionId } = useShopper();
  useDocumentTitle(null);
  const load = useCallback(
    (signal: AbortSignal) => fetchRecommendations({ userId, sessionId }, signal),
    [userId, sessionId],
  );
  const recommendations = useRequest(load);

  const heading = userId ? `Recommended for you${user ? `, ${user.FirstName}` : ''}` : 'Popular right now';
  const intro = userId ? null : (
    <p className="section-intro">Picks that adapt to what you look at during this visit. Choose a user to see theirs.</p>
  );
  return (
    <ProductSection
      heading={heading}
      headingLevel={1}
      intro={intro}
      request={recommendations}
      empty="No recommendations yet. Browse a few products and come back."
    />
  );
}
