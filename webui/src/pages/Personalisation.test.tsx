import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoreSession } from '../api/types';
import { CART_KEY, DEMO_KEY, VIEWED_KEY } from '../session/activity';
import { SESSION_KEY, USER_KEY } from '../session/persistence';
import { chooseUser } from '../test/chooseUser';
import { type FakeAnswer, fakeApi } from '../test/fakeApi';
import { aws, sentEvents } from '../test/fakeAws';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

vi.mock('@aws-sdk/client-kinesis', async () => (await import('../test/fakeAws')).fakeKinesisModule());
vi.mock('@aws-sdk/credential-providers', async () => (await import('../test/fakeAws')).fakeCredentialProvidersModule());

afterEach(() => aws.reset());

const lamp = item('LAMP1', { title: 'Camp Lantern', category: 'Lighting', main_cat: 'Sports & Outdoors', price: 20 });

/** A store whose click stream is `clicks-<poolId>`, so each test reads only its own events. */
function storeApi(poolId: string, routes: Record<string, FakeAnswer> = {}) {
  const store: StoreSession = { ...session, AnonymousPoolId: poolId, StreamName: `clicks-${poolId}` };
  return fakeApi({
    session: { body: store },
    'items/LAMP1': { body: lamp },
    description: { body: { ASIN: 'LAMP1', Items: ['Bright'] } },
    'recommendationsitem/LAMP1': {
      body: { results: [item('SIM1', { title: 'Headlamp' })], source: { campaign: 'store-sims' } },
    },
    recommendations: {
      body: {
        results: [item('REC1', { title: 'Tent' })],
        source: { campaign: 'store-user-personalization', filter: 'store-unseen' },
      },
    },
    'recommendations/u1': { body: { results: [item('REC2')], source: { campaign: 'store-user-personalization' } } },
    ...routes,
  });
}

describe('visible personalisation', () => {
  it('after a view, the home page is "Picked for this visit", with "Because you viewed" and "Recently viewed"', async () => {
    window.localStorage.setItem(SESSION_KEY, 'session-9');
    storeApi('v:home');
    const user = userEvent.setup();
    renderApp('/product/LAMP1');
    await screen.findByRole('heading', { level: 1, name: 'Camp Lantern' });
    await waitFor(() => expect(sentEvents('clicks-v:home')).toHaveLength(1));

    await user.click(screen.getByRole('link', { name: 'AllStore home' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Picked for this visit' })).toBeTruthy();
    expect(await screen.findByRole('list', { name: 'Because you viewed Camp Lantern' })).toBeTruthy();
    expect(screen.getByRole('list', { name: 'Recently viewed' })).toBeTruthy();
    const stored = JSON.parse(window.localStorage.getItem(VIEWED_KEY)!);
    expect(stored['session:session-9'].map((seen: { asin: string }) => seen.asin)).toEqual(['LAMP1']);
  });

  it('shows the recently viewed products and items like the last one on the home page', async () => {
    window.localStorage.setItem(SESSION_KEY, 'session-3');
    window.localStorage.setItem(VIEWED_KEY, JSON.stringify({ 'session:session-3': [lamp], 'user:u1': [] }));
    const api = storeApi('v:rows');
    renderApp('/');

    expect(await screen.findByRole('heading', { level: 1, name: 'Picked for this visit' })).toBeTruthy();
    const because = await screen.findByRole('list', { name: 'Because you viewed Camp Lantern' });
    expect(within(because).getByRole('link', { name: /Headlamp/ })).toBeTruthy();
    const recent = screen.getByRole('list', { name: 'Recently viewed' });
    expect(within(recent).getAllByRole('link', { name: /Camp Lantern/ })).toHaveLength(1);
    expect(api.requestsTo('recommendationsitem')).toEqual(['/Prod/recommendationsitem/LAMP1']);
    expect(api.requestsTo('items')).toEqual([]);
  });

  it("keeps each shopper's recently viewed apart", async () => {
    window.localStorage.setItem(USER_KEY, 'u1');
    window.localStorage.setItem(VIEWED_KEY, JSON.stringify({ 'session:other': [lamp] }));
    storeApi('v:apart');
    renderApp('/');

    expect(await screen.findByRole('heading', { level: 1, name: 'Recommended for you, Ada' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Recently viewed' })).toBeNull();
    expect(screen.queryByRole('heading', { name: /Because you viewed/ })).toBeNull();
  });

  it('in demo mode labels each row with its recipe, campaign and filter, and lists the events sent', async () => {
    window.localStorage.setItem(SESSION_KEY, 'session-d');
    storeApi('v:demo');
    const user = userEvent.setup();
    renderApp('/product/LAMP1');
    await screen.findByRole('heading', { level: 1, name: 'Camp Lantern' });
    expect(screen.queryByText(/campaign/)).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Demo mode' }));
    expect(screen.getByRole('button', { name: 'Demo mode' }).getAttribute('aria-pressed')).toBe('true');
    expect(await screen.findByText('SIMS · campaign store-sims')).toBeTruthy();
    const panel = screen.getByRole('complementary', { name: 'Demo details' });
    expect(within(panel).getByText('session-d')).toBeTruthy();
    const events = await within(panel).findByRole('list', { name: 'Last events sent' });
    await waitFor(() => expect(events.textContent).toMatch(/click LAMP1 at .* sent to Kinesis/));
    expect(window.localStorage.getItem(DEMO_KEY)).toBe('on');

    await user.click(screen.getByRole('link', { name: 'AllStore home' }));
    expect(
      await screen.findByText('User-Personalization · campaign store-user-personalization · filter store-unseen'),
    ).toBeTruthy();
    expect(screen.getByText('Kept in this browser (localStorage); no API call')).toBeTruthy();
  });

  it('does not count switching the demo user on a product page as a view by the new user', async () => {
    window.localStorage.setItem(SESSION_KEY, 'session-s');
    storeApi('v:switch');
    const user = userEvent.setup();
    renderApp('/product/LAMP1');
    await waitFor(() => expect(sentEvents('clicks-v:switch')).toHaveLength(1));

    await chooseUser(user, 'Ada Lovelace');
    await screen.findByRole('list', { name: 'Recommended for you' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sentEvents('clicks-v:switch')).toEqual([{ itemID: 'LAMP1', sessionID: 'session-s', eventType: 'click' }]);
  });

  it('adds to a cart kept in the browser and sends an add-to-cart event', async () => {
    window.localStorage.setItem(USER_KEY, 'u1');
    window.localStorage.setItem(SESSION_KEY, 'session-c');
    storeApi('v:cart');
    const user = userEvent.setup();
    renderApp('/product/LAMP1');
    await waitFor(() => expect(sentEvents('clicks-v:cart')).toHaveLength(1));

    await user.click(await screen.findByRole('button', { name: 'Add to cart' }));
    await waitFor(() => expect(sentEvents('clicks-v:cart')).toHaveLength(2));
    expect(sentEvents('clicks-v:cart')[1]).toEqual({
      userID: 'u1',
      itemID: 'LAMP1',
      sessionID: 'session-c',
      eventType: 'add-to-cart',
    });
    expect(screen.getByRole('link', { name: 'Cart, 1 item' }).textContent).toBe('Cart (1)');
    expect(JSON.parse(window.localStorage.getItem(CART_KEY)!)).toMatchObject([{ item: { asin: 'LAMP1' }, quantity: 1 }]);

    await user.click(screen.getByRole('link', { name: 'View cart' }));
    const cart = await screen.findByRole('list', { name: 'Cart' });
    expect(within(cart).getByRole('link', { name: 'Camp Lantern' })).toBeTruthy();
    expect(screen.getByText('$20.00', { selector: '.cart__total .price' })).toBeTruthy();
    await user.click(within(cart).getByRole('button', { name: 'Remove Camp Lantern' }));
    expect(await screen.findByText(/Your cart is empty/)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Cart' })).toBeTruthy();
  });

  it('puts a breadcrumb with the category link on the product page', async () => {
    storeApi('v:crumb');
    renderApp('/product/LAMP1');
    const breadcrumb = await screen.findByRole('navigation', { name: 'Breadcrumb' });
    expect(within(breadcrumb).getByRole('link', { name: 'Lighting' }).getAttribute('href')).toBe('/category/Lighting');
    expect(within(breadcrumb).getByText('Camp Lantern').getAttribute('aria-current')).toBe('page');
  });
});
