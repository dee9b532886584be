import { Route, Routes } from 'react-router';
import { Header } from './components/Header';
import { NavigationEffects } from './navigation/NavigationEffects';
import { CartPage } from './pages/CartPage';
import { CategoryPage } from './pages/CategoryPage';
import { HomePage } from './pages/HomePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ProductPage } from './pages/ProductPage';
import { SearchPage } from './pages/SearchPage';
import { ActivityProvider } from './session/ActivityContext';
import { OutageBanner, OutageProvider } from './session/OutageContext';
import { ShopperProvider } from './session/ShopperContext';

/** The store's layout and routes; the router itself is supplied by main.tsx (or a test). */
export function App() {
  return (
    <ShopperProvider>
      <ActivityProvider>
        <OutageProvider>
          <a className="skip-link" href="#main">
            Skip to content
          </a>
          <Header />
          <main id="main" className="page" tabIndex={-1}>
            <NavigationEffects />
            <OutageBanner />
            <Routes>
              <Route path="/" element={<HomePage />} />
              <Route path="/search" element={<SearchPage />} />
              <Route path="/category/:name" element={<CategoryPage />} />
              <Route path="/product/:asin" element={<ProductPage />} />
              <Route path="/cart" element={<CartPage />} />
              <Route path="*" element={<NotFoundPage />} />
            </Routes>
          </main>
          <footer className="site-footer">
            <p>AllStore — recommendations by Amazon Personalize.</p>
          </footer>
        </OutageProvider>
      </ActivityProvider>
    </ShopperProvider>
  );
}
