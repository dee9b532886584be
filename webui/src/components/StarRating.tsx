import type { CSSProperties } from 'react';

/** "★ 4.3 (128)": the mean star rating and how many ratings it is from, read out in words. */
export function StarRating({ rating, count }: { rating?: number | string; count?: number | string }) {
  const stars = Number(rating);
  const ratings = Number(count);
  if (!Number.isFinite(stars) || !(ratings > 0)) return null;
  const label = `Rated ${stars.toFixed(1)} out of 5 by ${ratings} ${ratings === 1 ? 'shopper' : 'shoppers'}`;
  return (
    <span className="star-rating" role="img" aria-label={label}>
      <span className="star-rating__stars" aria-hidden="true" style={{ '--stars': stars } as CSSProperties}>
        ★★★★★
      </span>
      <span aria-hidden="true">
        {stars.toFixed(1)} ({ratings})
      </span>
    </span>
  );
}
