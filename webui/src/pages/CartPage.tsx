import { Link } from 'react-router';
import { ProductImage } from '../components/ProductImage';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useActivity } from '../session/ActivityContext';
import { decodeEntities } from '../text/decodeEntities';
import { formatPrice } from '../text/formatPrice';

/** `/cart`: what the shopper added, kept in this browser. There is no checkout: it is a demo store. */
export function CartPage() {
  const { cart, removeFromCart } = useActivity();
  useDocumentTitle('Cart');
  const total = cart.reduce((sum, line) => sum + (Number(String(line.item.price ?? '').replace(/^\$/, '')) || 0) * line.quantity, 0);
  return (
    <section className="product-section cart">
      <h1 tabIndex={-1}>Your cart</h1>
      {cart.length === 0 ? (
        <p className="empty-state">
          Your cart is empty. <Link to="/">Find something</Link>
        </p>
      ) : (
        <>
          <ul className="cart__lines" aria-label="Cart">
            {cart.map(({ item, quantity }) => {
              const title = decodeEntities(item.title || item.asin);
              return (
                <li key={item.asin} className="cart__line">
                  <ProductImage src={item.imUrl} alt="" />
                  <div>
                    <h2 className="cart__title">
                      <Link to={`/product/${encodeURIComponent(item.asin)}`}>{title}</Link>
                    </h2>
                    <p>
                      {quantity} × {formatPrice(item.price) ?? 'price unknown'}
                    </p>
                  </div>
                  <button
                    type="button"
                    className="button-link"
                    aria-label={`Remove ${title}`}
                    onClick={() => removeFromCart(item.asin)}
                  >
                    Remove
                  </button>
                </li>
              );
            })}
          </ul>
          <p className="cart__total">
            Total: <span className="price">{formatPrice(total)}</span>
          </p>
          <p className="section-intro">This is a demo store: there is no checkout.</p>
        </>
      )}
    </section>
  );
}
