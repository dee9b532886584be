import { Link } from 'react-router';
import type { Item } from '../api/types';
import { decodeEntities } from '../text/decodeEntities';
import { formatPrice } from '../text/formatPrice';
import { ProductImage } from './ProductImage';

/** A product tile linking to its page; re-ranked search results carry a visible badge. */
export function ProductCard({ item }: { item: Item }) {
  const title = decodeEntities(item.title || item.asin);
  const price = formatPrice(item.price);
  const subtitle = item.brand || item.category || item.genre;
  return (
    <article className="product-card">
      <Link to={`/product/${encodeURIComponent(item.asin)}`} className="product-card__link">
        <ProductImage src={item.imUrl} alt="" />
        {item.Promoted && <span className="badge">Recommended for you</span>}
        <h3 className="product-card__title">{title}</h3>
      </Link>
      <div className="product-card__meta">
        {subtitle && <span className="product-card__subtitle">{decodeEntities(subtitle)}</span>}
        {price && <span className="price">{price}</span>}
      </div>
    </article>
  );
}
