import { useCallback, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { fetchPopularItems } from '../api/store';
import type { ItemList } from '../api/types';
import { useRequest } from '../hooks/useRequest';
import { decodeEntities } from '../text/decodeEntities';
import { categoryPath } from './categoryPath';

/** How many of the most popular items the menu's categories are read from. */
export const MENU_SAMPLE = 100;

/** Departments and their categories, in order of first appearance (most popular first). */
export function categoriesOf(list: ItemList): [string, string[]][] {
  const departments = new Map<string, Set<string>>();
  for (const item of list.results) {
    if (!item.category) continue;
    const department = item.main_cat || 'More';
    departments.set(department, (departments.get(department) ?? new Set()).add(item.category));
  }
  return [...departments].map(([department, categories]) => [department, [...categories]]);
}

/**
 * The header's "Categories" menu. There is no categories route, so it lists the categories of the
 * MENU_SAMPLE most popular items, read when the menu is first opened (not on every page load).
 */
export function CategoryMenu() {
  const [opened, setOpened] = useState(false);
  const { pathname } = useLocation();
  return (
    <details
      className="category-menu"
      key={pathname}
      onToggle={(event) => event.currentTarget.open && setOpened(true)}
    >
      <summary>Categories</summary>
      <div className="category-menu__panel">{opened && <CategoryList />}</div>
    </details>
  );
}

function CategoryList() {
  const load = useCallback((signal: AbortSignal) => fetchPopularItems(MENU_SAMPLE, signal), []);
  const popular = useRequest(load);
  if (popular.status === 'loading') return <p role="status">Loading categories…</p>;
  if (popular.status === 'error') {
    return (
      <p role="alert">
        Categories unavailable.{' '}
        <button type="button" className="button-link" onClick={popular.retry}>
          Retry
        </button>
      </p>
    );
  }
  return (
    <nav aria-label="Categories">
      {categoriesOf(popular.data).map(([department, categories]) => (
        <div key={department} className="category-menu__group">
          <p className="category-menu__department">{decodeEntities(department)}</p>
          <ul>
            {categories.map((category) => (
              <li key={category}>
                <Link to={categoryPath(category)}>{decodeEntities(category)}</Link>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}
