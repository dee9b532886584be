import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { CategoryTree } from '../api/types';
import { fakeApi } from '../test/fakeApi';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

/** As GET /categories answers: departments in alphabetical order, the unnamed one last. */
const CATEGORIES: CategoryTree = {
  departments: [
    {
      name: 'Electronics',
      itemCount: 1215,
      categories: [
        { name: 'Cables', itemCount: 3 },
        { name: 'Headphones', itemCount: 1212 },
      ],
    },
    {
      name: 'Sports &amp; Outdoors',
      itemCount: 42,
      categories: [
        { name: 'Bike Lights', itemCount: 1 },
        { name: 'Tents', itemCount: 41 },
      ],
    },
    { name: null, itemCount: 5, categories: [{ name: 'Gift Cards', itemCount: 5 }] },
  ],
  itemCount: 1262,
};

const groups = (menu: HTMLElement) =>
  within(menu)
    .getAllByRole('list')
    .map((list) => [
      list.getAttribute('aria-label'),
      within(list)
        .getAllByRole('listitem')
        .map((entry) => entry.textContent),
    ]);

describe('category menu', () => {
  it("lists every department and category of the catalogue with its products, read from /categories when first opened", async () => {
    const api = fakeApi({
      session: { body: session },
      recommendations: { body: { results: [item('T1', { category: 'Tents' })] } },
      categories: { body: CATEGORIES },
    });
    const user = userEvent.setup();
    renderApp('/');
    await screen.findByRole('list', { name: 'Popular right now' });
    expect(api.requestsTo('categories')).toEqual([]);

    await user.click(screen.getByText('Categories'));
    const menu = await screen.findByRole('navigation', { name: 'Categories' });
    expect(groups(menu)).toEqual([
      ['Electronics', ['Cables , 3 products3', 'Headphones , 1,212 products1,212']],
      ['Sports & Outdoors', ['Bike Lights , 1 product1', 'Tents , 41 products41']],
      ['More', ['Gift Cards , 5 products5']],
    ]);
    expect(within(menu).getByText('Electronics').textContent).toBe('Electronics · 1,215 products');
    expect(within(menu).getAllByRole('link').map((link) => link.getAttribute('href'))).toEqual([
      '/category/Cables',
      '/category/Headphones',
      '/category/Bike%20Lights',
      '/category/Tents',
      '/category/Gift%20Cards',
    ]);
    expect(api.requestsTo('categories')).toEqual(['/Prod/categories']);
    expect(api.requestsTo('items')).toEqual([]); // no longer a sample of popular items

    await user.click(within(menu).getByRole('link', { name: 'Headphones' }));
    expect(screen.getByTestId('location').textContent).toBe('/category/Headphones');
    expect((document.querySelector('details.category-menu') as HTMLDetailsElement).open).toBe(false); // closed on navigation
  });

  it('says when the categories cannot load, and Retry loads them', async () => {
    fakeApi({
      session: { body: session },
      recommendations: { body: { results: [] } },
      categories: (call) =>
        call === 1 ? { status: 503, body: { message: 'The store database could not be reached.' } } : { body: CATEGORIES },
    });
    const user = userEvent.setup();
    renderApp('/');

    await user.click(screen.getByText('Categories'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Categories unavailable.');
    await user.click(within(alert).getByRole('button', { name: 'Retry' }));
    const menu = await screen.findByRole('navigation', { name: 'Categories' });
    expect(within(menu).getAllByRole('link')).toHaveLength(5);
  });

  it('says so when the store has no categories recorded', async () => {
    fakeApi({
      session: { body: session },
      recommendations: { body: { results: [] } },
      categories: { body: { departments: [], itemCount: 0 } },
    });
    const user = userEvent.setup();
    renderApp('/');

    await user.click(screen.getByText('Categories'));
    expect((await screen.findByText('The store has no categories yet.')).getAttribute('role')).toBe('status');
    expect(screen.queryByRole('navigation', { name: 'Categories' })).toBeNull();
  });
});
