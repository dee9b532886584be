import { Link, useLocation } from 'react-router';
import { useActivity } from '../session/ActivityContext';
import { CategoryMenu } from './CategoryMenu';
import { DemoPanel } from './DemoPanel';
import { Logo } from './Logo';
import { SearchBox } from './SearchBox';
import { UserMenu } from './UserMenu';

export function Header() {
  const { cart, demoMode, setDemoMode } = useActivity();
  const count = cart.reduce((sum, line) => sum + line.quantity, 0);
  // A new page that is not a search starts with an empty box (no half-typed text left over).
  const { pathname } = useLocation();
  return (
    <header className="site-header">
      <div className="site-header__inner">
        <Link to="/" className="brand" aria-label="AllStore home">
          <Logo />
          <span className="brand__name">AllStore</span>
        </Link>
        <CategoryMenu />
        <SearchBox key={pathname === '/search' ? 'search' : pathname} />
        <UserMenu />
        <Link to="/cart" className="cart-link" aria-label={count ? `Cart, ${count} ${count === 1 ? 'item' : 'items'}` : 'Cart'}>
          Cart{count > 0 && <span className="cart-link__count"> ({count})</span>}
        </Link>
        <button
          type="button"
          className="demo-toggle"
          aria-pressed={demoMode}
          onClick={() => setDemoMode(!demoMode)}
          title="Label each row with the Personalize recipe and campaign behind it"
        >
          Demo mode
        </button>
      </div>
      {demoMode && <DemoPanel />}
    </header>
  );
}
