import { useCallback, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { fetchCategories } from '../api/store';
import type { Department } from '../api/types';
import { useRequest } from '../hooks/useRequest';
import { decodeEntities } from '../text/decodeEntities';
import { categoryPath } from './categoryPath';

/** The heading of the categories whose items name no department. */
export const NO_DEPARTMENT = 'More';

const products = (count: number) => `${count.toLocaleString('en-US')} ${count === 1 ? 'product' : 'products'}`;

/**
 * The header's "Categories" menu: every department and category of the catalogue with how many
 * products each has (GET /categories), read when the menu is first opened, not on every page load.
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
  const load = useCallback((signal: AbortSignal) => fetchCategories(signal), []);
  const categories = useRequest(load);
  if (categories.status === 'loading') return <p role="status">Loading categories…</p>;
  if (categories.status === 'error') {
    return (
      <p role="alert">
        Categories unavailable.{' '}
        <button type="button" className="button-link" onClick={categories.retry}>
          Retry
        </button>
      </p>
    );
  }
  const { departments } = categories.data;
  if (!departments.length) return <p role="status">The store has no categories yet.</p>;
  return (
    <nav aria-label="Categories">
      {departments.map((department) => (
        <DepartmentGroup key={department.name ?? ''} department={department} />
      ))}
    </nav>
  );
}

function DepartmentGroup({ department }: { department: Department }) {
  const name = department.name === null ? NO_DEPARTMENT : decodeEntities(department.name);
  return (
    <div className="category-menu__group">
      <p className="category-menu__department">
        {name} <span className="category-menu__count">· {products(department.itemCount)}</span>
      </p>
      <ul aria-label={name}>
        {department.categories.map((category) => (
          <li key={category.name}>
            <Link to={categoryPath(category.name)}>{decodeEntities(category.name)}</Link>{' '}
            <span className="category-menu__count">
              <span className="visually-hidden">, {products(category.itemCount)}</span>
              <span aria-hidden="true">{category.itemCount.toLocaleString('en-US')}</span>
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
