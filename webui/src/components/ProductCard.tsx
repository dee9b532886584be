import { Link } from 'react-router';
import type { Item } from '../api/types';
import { decodeEntities } from '../text/decodeEntities';
import { formatPrice } from '../text/formatPrice';
import { categoryPath } from './categoryPath';
import { ProductImage } from './ProductImage';
import { StarRating } from './StarRating';

/** A product tile linking to its page and its category; re-ranked search results carry a badge. */
export function ProductCard({ item, titleLevel = 3 }: { item: Item; titleLevel?: 2 | 3 }) {
  const title = decodeEntities(item.title || item.asin);
  const price = formatPrice(item.price);
  const Title = titleLevel === 2 ? 'h2' : 'h3';
  const subtitle = item.brand || (item.category ? undefined : item.genre);
  return (
    <article className="product-card">
      <Link to={`/product/${encodeURIComponent(item.asin)}`} className="product-card__link">
        <ProductImage src={item.imUrl} alt="" />
        {item.Promoted && <span className="badge">Recommended for you</span>}
        <Title className="product-card__title">{title}</Title>
      </Link>
      <StarRating rating={item.rating} count={item.ratingCount} />
      <div className="product-card__meta">
        {subtitle && <span className="product-card__subtitle">{decodeEntities(subtitle)}</span>}
        {price && <span className="price">{price}</span>}
      </div>
      {item.category && (
        <Link to={categoryPath(item.category)} className="product-card__category">
          {decodeEntities(item.category)}
        </Link>
      )}
    </article>
  );
}
