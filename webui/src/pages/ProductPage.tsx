import { useCallback, useEffect, useRef } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { fetchDescription, fetchItem, fetchRecommendations, fetchSimilarItems } from '../api/store';
import type { Item } from '../api/types';
import { ErrorState } from '../components/ErrorState';
import { ProductImage } from '../components/ProductImage';
import { ProductSection } from '../components/ProductSection';
import { sendClickEvent, VIEW_EVENT_TYPE } from '../events/clickEvents';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useRequest } from '../hooks/useRequest';
import { useShopper } from '../session/ShopperContext';
import { decodeEntities } from '../text/decodeEntities';
import { formatPrice } from '../text/formatPrice';

/** `/product/<asin>`: the product, its description, similar items and the user's recommendations. */
export function ProductPage() {
  const { asin = '' } = useParams();
  const loadItem = useCallback((signal: AbortSignal) => fetchItem(asin, signal), [asin]);
  const item = useRequest(loadItem);
  useDocumentTitle(item.status === 'ready' ? decodeEntities(item.data.title) : null);
  useViewEvent(asin, item.status === 'ready');

  return (
    <>
      {item.status === 'loading' && <ProductDetailsSkeleton />}
      {item.status === 'error' && (
        <div className="product-section">
          <h1>{item.error instanceof ApiError && item.error.status === 404 ? 'Product not found' : 'Could not load this product'}</h1>
          <ErrorState title="The product could not be shown." error={item.error} onRetry={item.retry} />
          <p>
            <Link to="/">Back to the store</Link>
          </p>
        </div>
      )}
      {item.status === 'ready' && <ProductDetails item={item.data} />}
      <SimilarItems asin={asin} />
      <UserRecommendations asin={asin} />
    </>
  );
}

/** Tells the store (via Kinesis) that this visitor viewed the product, once per product and user. */
function useViewEvent(asin: string, productShown: boolean) {
  const { session, userId, sessionId } = useShopper();
  const sent = useRef<string | null>(null);
  const settings = session.status === 'ready' ? session.data : null;
  useEffect(() => {
    if (!settings || !productShown) return;
    const key = `${asin}\n${userId ?? ''}`;
    if (sent.current === key) return;
    sent.current = key;
    void sendClickEvent(settings, {
      ...(userId ? { userID: userId } : {}),
      itemID: asin,
      sessionID: sessionId,
      eventType: VIEW_EVENT_TYPE,
    });
  }, [settings, productShown, asin, userId, sessionId]);
}

function ProductDetails({ item }: { item: Item }) {
  const title = decodeEntities(item.title);
  const price = formatPrice(item.price);
  return (
    <article className="product-details">
      <ProductImage src={item.imUrl} alt={title} eager />
      <div className="product-details__info">
        {item.category && <p className="eyebrow">{decodeEntities(item.category)}</p>}
        <h1>{title}</h1>
        {item.brand && (
          <p className="product-details__brand">
            by <span>{decodeEntities(item.brand)}</span>
          </p>
        )}
        {price && <p className="price price--large">{price}</p>}
        <Description asin={item.asin} />
      </div>
    </article>
  );
}

function Description({ asin }: { asin: string }) {
  const load = useCallback((signal: AbortSignal) => fetchDescription(asin, signal), [asin]);
  const description = useRequest(load);
  if (description.status === 'loading') {
    return (
      <div className="description" aria-busy="true" role="status">
        <span className="visually-hidden">Loading description…</span>
        <div className="skeleton skeleton--line" />
        <div className="skeleton skeleton--line" />
        <div className="skeleton skeleton--line skeleton--short" />
      </div>
    );
  }
  if (description.status === 'error') {
    if (description.error instanceof ApiError && description.error.status === 404) {
      return <p className="empty-state">No description for this product.</p>;
    }
    return <ErrorState title="Could not load the description." error={description.error} onRetry={description.retry} />;
  }
  const bullets = description.data.Items.filter((bullet) => bullet.trim());
  if (!bullets.length) return <p className="empty-state">No description for this product.</p>;
  return (
    <div className="description">
      <h2 className="visually-hidden">About this product</h2>
      <ul>
        {bullets.map((bullet, index) => (
          <li key={index}>{decodeEntities(bullet)}</li>
        ))}
      </ul>
    </div>
  );
}

function SimilarItems({ asin }: { asin: string }) {
  const load = useCallback((signal: AbortSignal) => fetchSimilarItems(asin, signal), [asin]);
  const similar = useRequest(load);
  return <ProductSection heading="Similar items" request={similar} layout="strip" empty="No similar items found." />;
}

/** Only signed-in users get their own rail; anonymous visitors already see similar items. */
function UserRecommendations({ asin }: { asin: string }) {
  const { userId, sessionId } = useShopper();
  if (!userId) return null;
  return <UserRecommendationsFor userId={userId} sessionId={sessionId} viewedAsin={asin} />;
}

/** The user's recommendations less the product on screen, which recommending again would waste a slot on. */
function UserRecommendationsFor({ userId, sessionId, viewedAsin }: { userId: string; sessionId: string; viewedAsin: string }) {
  const load = useCallback(
    async (signal: AbortSignal) => {
      const recommendations = await fetchRecommendations({ userId, sessionId }, signal);
      return { ...recommendations, results: recommendations.results.filter((item) => item.asin !== viewedAsin) };
    },
    [userId, sessionId, viewedAsin],
  );
  const recommendations = useRequest(load);
  return (
    <ProductSection
      heading="Recommended for you"
      request={recommendations}
      layout="strip"
      empty="No recommendations yet."
    />
  );
}

function ProductDetailsSkeleton() {
  return (
    <div className="product-details" aria-busy="true" role="status">
      <span className="visually-hidden">Loading product…</span>
      <div className="skeleton skeleton--image" />
      <div className="product-details__info">
        <div className="skeleton skeleton--title" />
        <div className="skeleton skeleton--line skeleton--short" />
        <div className="skeleton skeleton--line" />
        <div className="skeleton skeleton--line" />
      </div>
    </div>
  );
}
