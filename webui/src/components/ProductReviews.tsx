import type { CSSProperties } from 'react';
import type { Review } from '../api/types';

const DATE_FORMAT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** The product's newest reviews under a "Reviews" heading; nothing at all when it has none. */
export function ProductReviews({ reviews }: { reviews?: Review[] }) {
  const shown = (reviews ?? []).filter((review) => review.headline?.trim() || review.text?.trim());
  if (!shown.length) return null;
  return (
    <section className="product-reviews" aria-labelledby="product-reviews-heading">
      <h2 id="product-reviews-heading">Reviews</h2>
      <ol className="product-reviews__list">
        {shown.map((review, index) => (
          <li key={index} className="review">
            <ReviewStars stars={review.stars} />
            {review.headline && <h3 className="review__headline">{review.headline}</h3>}
            <p className="review__byline">
              <span className="review__name">{review.name?.trim() || 'A shopper'}</span>
              <ReviewDate date={review.date} />
            </p>
            {review.text && <p className="review__text">{review.text}</p>}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** "★★★★☆", read out as "Rated 4 out of 5". */
function ReviewStars({ stars }: { stars: number }) {
  const value = Math.min(Math.max(Number(stars), 0), 5);
  if (!Number.isFinite(value)) return null;
  const said = Number.isInteger(value) ? String(value) : value.toFixed(1);
  return (
    <span className="review__stars star-rating__stars" role="img" aria-label={`Rated ${said} out of 5`}
      style={{ '--stars': value } as CSSProperties}>
      ★★★★★
    </span>
  );
}

function ReviewDate({ date }: { date: string }) {
  const day = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(day.getTime())) return null;
  return (
    <>
      {' · '}
      <time dateTime={date}>{DATE_FORMAT.format(day)}</time>
    </>
  );
}
