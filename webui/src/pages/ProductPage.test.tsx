import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoreSession } from '../api/types';
import { SESSION_KEY, USER_KEY } from '../session/persistence';
import { type FakeAnswer, fakeApi } from '../test/fakeApi';
import { aws, sentEvents } from '../test/fakeAws';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

vi.mock('@aws-sdk/client-kinesis', async () => (await import('../test/fakeAws')).fakeKinesisModule());
vi.mock('@aws-sdk/credential-providers', async () => (await import('../test/fakeAws')).fakeCredentialProvidersModule());

afterEach(() => aws.reset());

const tent = item('B00TENT', {
  title: 'Explorer&#39;s 2-Person Tent &amp; Footprint',
  price: 149.5,
  brand: 'Trail &amp; Co',
  category: 'Camping',
});

/**
 * The product page's routes. Each test names its own identity pool (so the click sender is not
 * shared) and its own stream, `clicks-<pool id>`, whose events it reads.
 */
function productApi(poolId: string, overrides: Record<string, FakeAnswer> = {}) {
  const store: StoreSession = { ...session, AnonymousPoolId: poolId, StreamName: `clicks-${poolId}` };
  return fakeApi({
    session: { body: store },
    'items/B00TENT': { body: tent },
    description: { body: { ASIN: 'B00TENT', Items: ['Sleeps two', 'Packs to 2&nbsp;kg', ' '] } },
    'recommendationsitem/B00TENT': { body: { results: [item('SIM1', { title: 'Sleeping Pad' })] } },
    'recommendations/u1': { body: { results: [item('B00TENT'), item('REC1', { title: 'Headlamp' })] } },
    ...overrides,
  });
}

describe('product page', () => {
  it('shows the product with decoded title, price, brand and description bullets', async () => {
    const api = productApi('p:details');
    renderApp('/product/B00TENT');

    expect(await screen.findByRole('heading', { level: 1, name: "Explorer's 2-Person Tent & Footprint" })).toBeTruthy();
    expect(screen.getByText('$149.50')).toBeTruthy();
    expect(screen.getByText('Trail & Co')).toBeTruthy();
    expect(screen.getByRole('img', { name: "Explorer's 2-Person Tent & Footprint" }).getAttribute('src')).toBe(
      '/images/B00TENT.svg',
    );
    const bullets = (await screen.findByText('Sleeps two')).closest('ul')!;
    expect(within(bullets).getAllByRole('listitem').map((bullet) => bullet.textContent)).toEqual([
      'Sleeps two',
      'Packs to 2\u00a0kg',
    ]);
    expect(document.title).toBe("Explorer's 2-Person Tent & Footprint · AllStore");
    expect(api.requestsTo('description')).toEqual(['/Prod/description?asin=B00TENT']);
  });

  it("shows the product's reviews under the product, and no Reviews heading when it has none", async () => {
    productApi('p:reviews', {
      'items/B00TENT': {
        body: {
          ...tent,
          rating: 4.5,
          ratingCount: 12,
          reviews: [
            { name: 'Maya P.', stars: 5, headline: 'Love it', text: 'Sturdy without being heavy.', date: '2023-11-02' },
            { name: 'Leo', stars: 4, headline: 'Solid choice', date: '2023-10-15' },
          ],
        },
      },
    });
    const first = renderApp('/product/B00TENT');
    const reviews = await screen.findByRole('region', { name: 'Reviews' });
    expect(within(reviews).getAllByRole('heading', { level: 3 }).map((heading) => heading.textContent)).toEqual([
      'Love it',
      'Solid choice',
    ]);
    expect(within(reviews).getByRole('img', { name: 'Rated 4 out of 5' })).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Rated 4.5 out of 5 by 12 shoppers' })).toBeTruthy();
    first.unmount();

    productApi('p:no-reviews');
    renderApp('/product/B00TENT');
    await screen.findByRole('heading', { level: 1, name: "Explorer's 2-Person Tent & Footprint" });
    expect(screen.queryByRole('region', { name: 'Reviews' })).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Reviews' })).toBeNull();
  });

  it('shows similar items, and recommendations only for a signed-in user', async () => {
    productApi('p:anonymous');
    const first = renderApp('/product/B00TENT');
    const similar = await screen.findByRole('list', { name: 'Similar items' });
    expect(within(similar).getByRole('link', { name: /Sleeping Pad/ })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Recommended for you' })).toBeNull();
    first.unmount();

    window.localStorage.setItem(USER_KEY, 'u1');
    productApi('p:signed-in');
    renderApp('/product/B00TENT');
    const recommended = await screen.findByRole('list', { name: 'Recommended for you' });
    expect(within(recommended).getAllByRole('link').map((link) => link.getAttribute('href'))).toEqual([
      '/product/REC1',
    ]);
  });

  it('sends one click event with the user, item and session when a signed-in user views it', async () => {
    window.localStorage.setItem(USER_KEY, 'u1');
    window.localStorage.setItem(SESSION_KEY, 'session-1');
    productApi('p:click-user');
    renderApp('/product/B00TENT');

    await waitFor(() => expect(sentEvents('clicks-p:click-user')).toHaveLength(1));
    expect(sentEvents('clicks-p:click-user')[0]).toEqual({ userID: 'u1', itemID: 'B00TENT', sessionID: 'session-1', eventType: 'click' });
    const records = aws.putRecords.filter((record) => record.StreamName === 'clicks-p:click-user');
    expect(records.map((record) => record.PartitionKey)).toEqual(['u1']);
  });

  it('sends the session id only for an anonymous visitor, and again for the next product', async () => {
    window.localStorage.setItem(SESSION_KEY, 'session-2');
    productApi('p:click-anonymous', {
      'items/SIM1': { body: item('SIM1', { title: 'Sleeping Pad' }) },
      'recommendationsitem/SIM1': { body: { results: [] } },
    });
    const user = userEvent.setup();
    renderApp('/product/B00TENT');
    await waitFor(() => expect(sentEvents('clicks-p:click-anonymous')).toHaveLength(1));

    await user.click(await screen.findByRole('link', { name: /Sleeping Pad/ }));
    await screen.findByRole('heading', { level: 1, name: 'Sleeping Pad' });

    await waitFor(() => expect(sentEvents('clicks-p:click-anonymous')).toHaveLength(2));
    expect(sentEvents('clicks-p:click-anonymous')).toEqual([
      { itemID: 'B00TENT', sessionID: 'session-2', eventType: 'click' },
      { itemID: 'SIM1', sessionID: 'session-2', eventType: 'click' },
    ]);
    expect(screen.getByTestId('location').textContent).toBe('/product/SIM1');
  });

  it('keeps working when the click event cannot be sent', async () => {
    aws.failWith = new Error('Kinesis is down');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    productApi('p:click-fails');
    renderApp('/product/B00TENT');

    await waitFor(() => expect(warn).toHaveBeenCalled());
    expect(screen.getByRole('heading', { level: 1, name: "Explorer's 2-Person Tent & Footprint" })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('replaces a broken or missing image with a placeholder', async () => {
    productApi('p:images', {
      'recommendationsitem/B00TENT': { body: { results: [item('NOIMG', { title: 'Mystery Box', imUrl: undefined })] } },
    });
    renderApp('/product/B00TENT');

    const image = await screen.findByRole('img', { name: "Explorer's 2-Person Tent & Footprint" });
    fireEvent.error(image);
    expect(screen.getByRole('img', { name: "Explorer's 2-Person Tent & Footprint (no image)" }).tagName).toBe('DIV');
    const card = await screen.findByRole('link', { name: 'Mystery Box' });
    expect(card.querySelector('.product-image--missing')).toBeTruthy();
    expect(card.querySelector('img')).toBeNull();
  });

  it('says when the product does not exist and sends no click event', async () => {
    productApi('p:missing');
    renderApp('/product/NOPE%2F1');

    expect(await screen.findByRole('heading', { level: 1, name: 'Product not found' })).toBeTruthy();
    await waitFor(() => expect(document.title).toBe('Product not found · AllStore'));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
    expect(screen.queryByRole('heading', { name: 'Similar items' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Back to the store' })).toBeTruthy();
    expect(sentEvents('clicks-p:missing')).toEqual([]);
  });

  it('retries a failed product load', async () => {
    productApi('p:retry', {
      'items/B00TENT': (call) => (call === 1 ? { status: 500, body: { message: 'Table unavailable' } } : { body: tent }),
    });
    const user = userEvent.setup();
    renderApp('/product/B00TENT');

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Table unavailable');
    await user.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('heading', { level: 1, name: "Explorer's 2-Person Tent & Footprint" })).toBeTruthy();
  });
});
