import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fakeApi } from '../test/fakeApi';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

const tent = (n: number) => item(`T${n}`, { title: `Tent ${n}`, category: 'Tents', main_cat: 'Sports & Outdoors' });

describe('category page', () => {
  it('lists the category a page at a time with nextToken, saying how many of all it shows', async () => {
    const api = fakeApi({
      session: { body: session },
      items: (call) =>
        call === 1
          ? { body: { results: [tent(1), tent(2)], total: 3, nextToken: 'page-2' } }
          : { body: { results: [tent(3)] } },
    });
    const user = userEvent.setup();
    renderApp('/category/Tents');

    expect(await screen.findByRole('heading', { level: 1, name: 'Tents' })).toBeTruthy();
    expect(await screen.findByText('Showing 2 of 3 products')).toBeTruthy();
    const breadcrumb = screen.getByRole('navigation', { name: 'Breadcrumb' });
    expect(within(breadcrumb).getAllByRole('listitem').map((step) => step.textContent)).toEqual([
      'Home',
      'Sports & Outdoors',
      'Tents',
    ]);
    expect(document.title).toBe('Tents · AllStore');

    await user.click(screen.getByRole('button', { name: 'Show more' }));
    expect(await screen.findByText('Showing 3 of 3 products')).toBeTruthy();
    expect(within(screen.getByRole('list', { name: 'Tents' })).getAllByRole('article')).toHaveLength(3);
    expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull();
    expect(api.requestsTo('items')).toEqual([
      '/Prod/items?category=Tents&limit=12',
      '/Prod/items?category=Tents&limit=12&nextToken=page-2',
    ]);
  });

  it('links cards to their category page', async () => {
    fakeApi({
      session: { body: session },
      recommendations: { body: { results: [tent(1)] } },
      items: { body: { results: [tent(1)], total: 1 } },
    });
    const user = userEvent.setup();
    renderApp('/');

    const list = await screen.findByRole('list', { name: 'Popular right now' });
    const link = within(list).getByRole('link', { name: 'Tents' });
    expect(link.getAttribute('href')).toBe('/category/Tents');
    await user.click(link);
    expect(screen.getByTestId('location').textContent).toBe('/category/Tents');
    expect(await screen.findByRole('heading', { level: 1, name: 'Tents' })).toBeTruthy();
  });

  it('says so when the category has no products', async () => {
    fakeApi({ session: { body: session }, items: { body: { results: [], total: 0 } } });
    renderApp('/category/Nothing');

    await screen.findByRole('heading', { level: 1, name: 'Nothing' });
    await waitFor(() =>
      expect(document.querySelector('.empty-state')?.textContent).toBe('There are no products in “Nothing”. Back to the store'),
    );
    expect(screen.queryByText(/Showing/)).toBeNull();
  });
});

describe('star ratings', () => {
  it('shows the mean rating and count on cards, read out in words, and nothing without ratings', async () => {
    fakeApi({
      session: { body: session },
      items: { body: { results: [tent(1), { ...tent(2), rating: 4.3, ratingCount: 128 }], total: 2 } },
    });
    renderApp('/category/Tents');

    const list = await screen.findByRole('list', { name: 'Tents' });
    const [unrated, rated] = within(list).getAllByRole('article');
    expect(within(rated!).getByRole('img', { name: 'Rated 4.3 out of 5 by 128 shoppers' }).textContent).toBe(
      '★★★★★4.3 (128)',
    );
    expect(within(unrated!).queryByRole('img', { name: /Rated/ })).toBeNull();
  });

  it('keeps focus and scroll where they were when a filter changes: the same page, refined', async () => {
    fakeApi({
      session: { body: session },
      items: { body: { results: [tent(1), { ...tent(2), brand: 'Peakline' }], total: 2 } },
    });
    const user = userEvent.setup();
    renderApp('/category/Tents');
    const filters = await screen.findByRole('form', { name: 'Filter and sort' });
    const peakline = await within(filters).findByRole('checkbox', { name: 'Peakline' });
    window.scrollTo(0, 120);
    const scrolls = vi.spyOn(window, 'scrollTo');
    await user.click(peakline);
    await waitFor(() => expect(screen.getByTestId('location').textContent).toBe('/category/Tents?brand=Peakline'));
    expect(await screen.findByText('Showing 2 of 2 products')).toBeTruthy();
    await new Promise((resolve) => requestAnimationFrame(resolve));
    expect(document.activeElement).toBe(peakline);
    expect(scrolls).not.toHaveBeenCalled();
  });

  it('filters by brand and price and sorts by price, paging the refined list with from', async () => {
    const api = fakeApi({
      session: { body: session },
      // the header's category menu reads /items too: every answer is the same
      items: { body: { results: [tent(1), { ...tent(2), brand: 'Peakline' }, { ...tent(3), brand: 'Groundwork' }], total: 4 } },
    });
    const user = userEvent.setup();
    renderApp('/category/Tents');
    const filters = await screen.findByRole('form', { name: 'Filter and sort' });
    await user.click(await within(filters).findByRole('checkbox', { name: 'Peakline' }));
    await user.click(within(filters).getByRole('checkbox', { name: 'Groundwork' }));
    await user.type(within(filters).getByRole('spinbutton', { name: 'Min' }), '10');
    await user.type(within(filters).getByRole('spinbutton', { name: 'Max' }), '99.5');
    await user.click(within(filters).getByRole('button', { name: 'Apply' }));
    await user.selectOptions(within(filters).getByRole('combobox', { name: 'Sort by' }), 'price-desc');
    expect(await screen.findByText('Showing 3 of 4 products')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Show more' }));
    expect(within(filters).getByRole('checkbox', { name: 'Peakline' })).toHaveProperty('checked', true);
    expect(within(filters).getByRole('checkbox', { name: 'Groundwork' })).toHaveProperty('checked', true);
    expect(api.requestsTo('items').at(-2)).toBe(
      '/Prod/items?category=Tents&limit=12&brand=Peakline&brand=Groundwork&minPrice=10&maxPrice=99.5&sort=price-desc',
    );
    expect(api.requestsTo('items').at(-1)).toBe(
      '/Prod/items?category=Tents&limit=12&from=3&brand=Peakline&brand=Groundwork&minPrice=10&maxPrice=99.5&sort=price-desc',
    );
  });
});
