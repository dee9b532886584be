import { Link } from 'react-router';
import { Logo } from './Logo';
import { SearchBox } from './SearchBox';
import { UserMenu } from './UserMenu';

export function Header() {
  return (
    <header className="site-header">
      <div className="site-header__inner">
        <Link to="/" className="brand" aria-label="AllStore home">
          <Logo />
          <span className="brand__name">AllStore</span>
        </Link>
        <SearchBox />
        <UserMenu />
      </div>
    </header>
  );
}
