import { memo, useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { fetchDescription, fetchItem, fetchRecommendations, fetchSimilarItems } from '../api/store';
import type { Item, ProductDescription } from '../api/types';
import { ErrorState } from '../components/ErrorState';
import { ProductImage } from '../components/ProductImage';
import { ProductReviews } from '../components/ProductReviews';
import { ProductSection } from '../components/ProductSection';
import { StarRating } from '../components/StarRating';
import { categoryPath } from '../components/categoryPath';
import { ADD_TO_CART_EVENT_TYPE, VIEW_EVENT_TYPE } from '../events/clickEvents';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { type RequestState, useRequest } from '../hooks/useRequest';
import { useOutage } from '../session/OutageContext';
import { useActivity, useActivityActions } from '../session/ActivityContext';
import { useShopper } from '../session/ShopperContext';
import { Breadcrumb } from './CategoryPage';
import { NotFoundPage } from './NotFoundPage';
import { decodeEntities } from '../text/decodeEntities';
import { formatPrice } from '../text/formatPrice';

/** `/product/<asin>`: the product, its description, similar items and the user's recommendations. */
export function ProductPage() {
  const { asin = '' } = useParams();
  const loadItem = useCallback((signal: AbortSignal) => fetchItem(asin, signal), [asin]);
  const item = useRequest(loadItem);
  const missing = item.status === 'error' && item.error instanceof ApiError && item.error.status === 404;
  useDocumentTitle(item.status === 'ready' ? decodeEntities(item.data.title) : missing ? 'Product not found' : null);

  return (
    <>
      <ViewEvent item={item.status === 'ready' ? item.data : null} />
      {item.status === 'loading' && <ProductDetailsSkeleton />}
      {item.status === 'error' &&
        (missing ? (
          <NotFoundPage what="product" />
        ) : (
          <div className="product-section">
            <h1 tabIndex={-1}>Could not load this product</h1>
            <ErrorState title="The product could not be shown." error={item.error} onRetry={item.retry} />
            <p>
              <Link to="/">Back to the store</Link>
            </p>
          </div>
        ))}
      {item.status === 'ready' && <ProductDetails item={item.data} />}
      {!missing && <SimilarItems asin={asin} />}
      {!missing && <UserRecommendations asin={asin} />}
    </>
  );
}

/**
 * Tells the store (via Kinesis) that this visitor viewed the product, once per visit to the page:
 * choosing another demo user while reading it is not a view by that user. A component of its own
 * (it renders nothing), so /session answering re-renders it and not the page.
 */
function ViewEvent({ item }: { item: Item | null }) {
  useViewEvent(item);
  return null;
}

function useViewEvent(item: Item | null) {
  const { session } = useShopper();
  const { sendEvent, recordView } = useActivityActions();
  const { key } = useLocation();
  const sent = useRef<string | null>(null);
  const ready = session.status === 'ready';
  useEffect(() => {
    if (!ready || !item) return;
    const visit = `${key}\n${item.asin}`;
    if (sent.current === visit) return;
    sent.current = visit;
    sendEvent(VIEW_EVENT_TYPE, item.asin);
    recordView(item);
  }, [ready, item, key, sendEvent, recordView]);
}

function ProductDetails({ item }: { item: Item }) {
  const title = decodeEntities(item.title);
  const price = formatPrice(item.price);
  const category = item.category ? decodeEntities(item.category) : null;
  return (
    <>
    <Breadcrumb
      trail={[item.main_cat ? decodeEntities(item.main_cat) : null, category].filter((step): step is string => !!step)}
      current={title}
      links={category ? { [category]: categoryPath(item.category!) } : {}}
    />
    <article className="product-details">
      <ProductImage src={item.imUrl} alt={title} eager />
      <div className="product-details__info">
        <h1 tabIndex={-1}>{title}</h1>
        {item.brand && (
          <p className="product-details__brand">
            by <span>{decodeEntities(item.brand)}</span>
          </p>
        )}
        <StarRating rating={item.rating} count={item.ratingCount} />
        {price && <p className="price price--large">{price}</p>}
        <AddToCart item={item} />
        <Description asin={item.asin} />
      </div>
    </article>
    <ProductReviews reviews={item.reviews} />
    </>
  );
}

/** Puts the product in the browser's cart and sends an `add-to-cart` event (a distinct event type). */
function AddToCart({ item }: { item: Item }) {
  const { addToCart, sendEvent, cart } = useActivity();
  const [added, setAdded] = useState(false);
  const quantity = cart.find((line) => line.item.asin === item.asin)?.quantity ?? 0;
  return (
    <div className="add-to-cart">
      <button
        type="button"
        className="button button--primary"
        onClick={() => {
          addToCart(item);
          sendEvent(ADD_TO_CART_EVENT_TYPE, item.asin);
          setAdded(true);
        }}
      >
        Add to cart
      </button>
      <p className="add-to-cart__status" role="status">
        {added && quantity > 0 && (
          <>
            {quantity === 1 ? 'Added to your cart.' : `${quantity} in your cart.`} <Link to="/cart">View cart</Link>
          </>
        )}
      </p>
    </div>
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
    return <DescriptionError description={description} />;
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

function DescriptionError({ description }: { description: RequestState<ProductDescription> & { retry: () => void } }) {
  const down = useOutage(description);
  if (down) return <p className="empty-state">The description is not available right now.</p>;
  if (description.status !== 'error') return null;
  return <ErrorState title="Could not load the description." error={description.error} onRetry={description.retry} />;
}

/** Memoised, as are the recommendations: the product's answer re-renders the page, not these rows. */
const SimilarItems = memo(function SimilarItems({ asin }: { asin: string }) {
  const load = useCallback((signal: AbortSignal) => fetchSimilarItems(asin, signal), [asin]);
  const similar = useRequest(load);
  return (
    <ProductSection
      heading="Similar items"
      request={similar}
      layout="strip"
      origin={{ recipe: 'SIMS' }}
      empty="No similar items found."
    />
  );
});

/** Only signed-in users get their own rail; anonymous visitors already see similar items. */
const UserRecommendations = memo(function UserRecommendations({ asin }: { asin: string }) {
  const { userId, sessionId } = useShopper();
  if (!userId) return null;
  return <UserRecommendationsFor userId={userId} sessionId={sessionId} viewedAsin={asin} />;
});

/** The user's recommendations less the product on screen, which recommending again would waste a slot on. */
const UserRecommendationsFor = memo(function UserRecommendationsFor({
  userId,
  sessionId,
  viewedAsin,
}: {
  userId: string;
  sessionId: string;
  viewedAsin: string;
}) {
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
      origin={{ recipe: 'User-Personalization' }}
      empty="No recommendations yet."
    />
  );
});

/**
 * The shape of ProductDetails while the product loads — breadcrumb, photo, title, brand, rating,
 * price, button and description lines — so the rows below are where they will stay, not pushed
 * down when it arrives (a layout shift).
 */
function ProductDetailsSkeleton() {
  return (
    <>
      <div className="skeleton skeleton--crumb" aria-hidden="true" />
      <div className="product-details" aria-busy="true" role="status">
        <span className="visually-hidden">Loading product…</span>
        <div className="skeleton skeleton--image" />
        <div className="product-details__info">
          <div className="skeleton skeleton--title" />
          <div className="skeleton skeleton--line skeleton--short" />
          <div className="skeleton skeleton--line skeleton--short" />
          <div className="skeleton skeleton--price" />
          <div className="skeleton skeleton--button" />
          <div className="skeleton skeleton--line" />
          <div className="skeleton skeleton--line" />
          <div className="skeleton skeleton--line skeleton--short" />
        </div>
      </div>
    </>
  );
}
