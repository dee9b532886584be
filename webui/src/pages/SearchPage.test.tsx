import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { USER_KEY } from '../session/persistence';
import { chooseUser } from '../test/chooseUser';
import { fakeApi } from '../test/fakeApi';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

const results = {
  results: [
    item('S1', { title: 'Camp Stove', Promoted: true }),
    item('S2', { title: 'Stove Fuel' }),
    item('S3', { title: 'Stove Windscreen', Promoted: false }),
  ],
  total: 3,
};

describe('search page', () => {
  it('marks re-ranked results with a "Recommended for you" badge', async () => {
    fakeApi({ session: { body: session }, search: { body: results } });
    renderApp('/search?q=stove');

    const list = await screen.findByRole('list', { name: 'Results for “stove”' });
    const cards = within(list).getAllByRole('article');
    expect(cards).toHaveLength(3);
    expect(within(cards[0]!).getByText('Recommended for you')).toBeTruthy();
    expect(within(cards[1]!).queryByText('Recommended for you')).toBeNull();
    expect(within(cards[2]!).queryByText('Recommended for you')).toBeNull();
    expect(screen.getByText('Showing 3 of 3 products')).toBeTruthy();
  });

  it('URL-encodes the query and sends the signed-in user', async () => {
    window.localStorage.setItem(USER_KEY, 'u1');
    const api = fakeApi({ session: { body: session }, search: { body: results } });
    renderApp(`/search?q=${encodeURIComponent('tent & stove 50%')}`);

    await screen.findByRole('list', { name: 'Results for “tent & stove 50%”' });
    expect(api.requestsTo('search')).toEqual(['/Prod/search?q=tent%20%26%20stove%2050%25&u=u1&limit=24']);
    expect((screen.getByRole('searchbox', { name: 'Search products' }) as HTMLInputElement).value).toBe(
      'tent & stove 50%',
    );
  });

  it('navigates with the query encoded when the search box is submitted', async () => {
    const api = fakeApi({
      session: { body: session },
      recommendations: { body: { results: [] } },
      search: { body: results },
    });
    const user = userEvent.setup();
    renderApp('/');

    await user.type(screen.getByRole('searchbox', { name: 'Search products' }), '  socks & "liners" #2 {Enter}');

    expect(screen.getByTestId('location').textContent).toBe('/search?q=socks%20%26%20%22liners%22%20%232');
    await screen.findByRole('list', { name: 'Results for “socks & "liners" #2”' });
    expect(api.requestsTo('search')).toEqual(['/Prod/search?q=socks%20%26%20%22liners%22%20%232&limit=24']);
  });

  it('searches again when the query or the user changes', async () => {
    const api = fakeApi({
      session: { body: session },
      search: { body: results },
    });
    const user = userEvent.setup();
    renderApp('/search?q=stove');
    await screen.findByRole('list', { name: 'Results for “stove”' });

    await chooseUser(user, 'Alan Turing');
    await screen.findByRole('list', { name: 'Results for “stove”' });
    const box = screen.getByRole('searchbox', { name: 'Search products' });
    await user.clear(box);
    await user.type(box, 'lantern{Enter}');
    await screen.findByRole('list', { name: 'Results for “lantern”' });

    expect(api.requestsTo('search')).toEqual([
      '/Prod/search?q=stove&limit=24',
      '/Prod/search?q=stove&u=u2&limit=24',
      '/Prod/search?q=lantern&u=u2&limit=24',
    ]);
  });

  it('asks for a query instead of calling the API with a blank one', async () => {
    const api = fakeApi({ session: { body: session } });
    renderApp('/search?q=%20%20');

    expect(await screen.findByText(/Type what you are looking for/)).toBeTruthy();
    expect(api.requestsTo('search')).toEqual([]);
  });

  it('offers popular products instead of a dead end when nothing matches', async () => {
    const api = fakeApi({
      session: { body: session },
      search: { body: { results: [], total: 0 } },
      items: { body: { results: [item('POP1', { title: 'Water Bottle' })] } },
    });
    renderApp('/search?q=zzz');

    expect(await screen.findByText(/No products match your search/)).toBeTruthy();
    const popular = await screen.findByRole('list', { name: 'Popular right now' });
    expect(within(popular).getByRole('link', { name: /Water Bottle/ })).toBeTruthy();
    expect(api.requestsTo('items')).toEqual(['/Prod/items?limit=8']);
    expect(screen.queryByText(/Showing/)).toBeNull();
  });

  it('says how many of all the hits it shows and fetches the rest with from', async () => {
    const hits = Array.from({ length: 30 }, (_, index) => item(`H${index}`, { title: `Hit ${index}` }));
    const api = fakeApi({
      session: { body: session },
      search: (call) => ({ body: { results: call === 1 ? hits.slice(0, 24) : hits.slice(24), total: 30 } }),
    });
    const user = userEvent.setup();
    renderApp('/search?q=hit');

    expect(await screen.findByText('Showing 24 of 30 products')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Show more' }));

    expect(await screen.findByText('Showing 30 of 30 products')).toBeTruthy();
    const list = screen.getByRole('list', { name: 'Results for “hit”' });
    expect(within(list).getAllByRole('article')).toHaveLength(30);
    expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull();
    expect(api.requestsTo('search')).toEqual(['/Prod/search?q=hit&limit=24', '/Prod/search?q=hit&limit=24&from=24']);
  });
});

describe('search box', () => {
  it('clears when the page is no longer a search', async () => {
    fakeApi({
      session: { body: session },
      search: { body: results },
      recommendations: { body: { results: [item('P1', { title: 'Lamp' })] } },
      'items/P1': { body: item('P1', { title: 'Lamp' }) },
      description: { body: { ASIN: 'P1', Items: [] } },
      'recommendationsitem/P1': { body: { results: [] } },
    });
    const user = userEvent.setup();
    renderApp('/');
    const box = screen.getByRole('searchbox', { name: 'Search products' });
    await user.type(box, 'half-typed');
    await user.click(await screen.findByRole('link', { name: /Lamp/ }));
    await screen.findByRole('heading', { level: 1, name: 'Lamp' });
    expect((screen.getByRole('searchbox', { name: 'Search products' }) as HTMLInputElement).value).toBe('');
  });
});

describe('corrected typos', () => {
  it('says what it shows results for when the store corrected the query', async () => {
    fakeApi({
      session: { body: session },
      search: { body: { results: [item('H1', { title: 'Headphones' })], total: 1, correctedQuery: 'headphones' } },
    });
    renderApp('/search?q=hedphones');
    const intro = await screen.findByText(/Showing results for/);
    expect(intro.textContent).toBe('Showing results for headphones. No product matches “hedphones” exactly.');
  });

  it('sends brand, price and sort from the address, and offers the brands it has shown', async () => {
    const api = fakeApi({
      session: { body: session },
      search: { body: { results: [item('S1', { brand: 'Peakline' }), item('S2', { brand: 'Blaze' })], total: 2 } },
    });
    const user = userEvent.setup();
    renderApp('/search?q=stove&sort=price-asc&maxPrice=30');
    const filters = await screen.findByRole('form', { name: 'Filter and sort' });
    expect(within(filters).getByRole('combobox', { name: 'Sort by' })).toHaveProperty('value', 'price-asc');
    expect(within(filters).getByRole('spinbutton', { name: 'Max' })).toHaveProperty('value', '30');
    await user.click(await within(filters).findByRole('checkbox', { name: 'Blaze' }));
    await user.selectOptions(within(filters).getByRole('combobox', { name: 'Sort by' }), 'relevance');
    expect(api.requestsTo('search')).toEqual([
      '/Prod/search?q=stove&limit=24&maxPrice=30&sort=price-asc',
      '/Prod/search?q=stove&limit=24&brand=Blaze&maxPrice=30&sort=price-asc',
      '/Prod/search?q=stove&limit=24&brand=Blaze&maxPrice=30',
    ]);
    expect(within(filters).getAllByRole('checkbox').map((box) => box.parentElement?.textContent?.trim())).toEqual(['Blaze', 'Peakline']);
  });
});

describe('brand filter', () => {
  it('shows a brand with HTML entities decoded and filters by the brand as the catalogue spells it', async () => {
    const api = fakeApi({
      session: { body: session },
      search: { body: { results: [item('S1', { brand: 'Summit &amp; Co' })], total: 1 } },
    });
    const user = userEvent.setup();
    renderApp('/search?q=tent');
    const filters = await screen.findByRole('form', { name: 'Filter and sort' });
    await user.click(await within(filters).findByRole('checkbox', { name: 'Summit & Co' }));
    await waitFor(() => expect(api.requestsTo('search')).toHaveLength(2));
    expect(api.requestsTo('search')[1]).toBe('/Prod/search?q=tent&limit=24&brand=Summit%20%26amp%3B%20Co');
  });
});
