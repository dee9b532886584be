/**
 * Browser journeys of issue 22 against a running store (or the mock): visible personalisation and
 * demo mode, add to cart, the category menu and category pages with paging, brand and price filters
 * and sort, Back restoring the scroll position and focus on navigation, a product's reviews, the
 * not-found page and a phone-sized search. Screenshots go to test-artifacts/webui/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chooseUser, openStore } from './harness.mjs';

const KINESIS_PUT_RECORD = 'Kinesis_20131202.PutRecord';
const CATEGORY_PAGE_SIZE = 12;

async function listedAsins(page, listName) {
  const links = page.getByRole('list', { name: listName, exact: true }).locator('a[href^="/product/"]');
  await links.first().waitFor();
  const hrefs = await links.evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
  return [...new Set(hrefs.map((href) => decodeURIComponent(href.slice('/product/'.length))))];
}

function recordKinesisEvents(page) {
  const events = [];
  page.on('requestfinished', async (request) => {
    if (request.headers()['x-amz-target'] !== KINESIS_PUT_RECORD) return;
    const response = await request.response();
    const input = JSON.parse(request.postData() ?? '{}');
    events.push({ status: response?.status(), event: JSON.parse(Buffer.from(input.Data, 'base64').toString('utf8')) });
  });
  return events;
}

async function waitFor(condition, { timeout, interval = 250, message }) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** /categories flattened: every category's decoded name and item count, in the menu's order. */
async function catalogueCategories(store, page) {
  const { departments } = await store.api('categories');
  const categories = departments.flatMap((department) => department.categories);
  return Promise.all(categories.map(async ({ name, itemCount }) => ({ name: await decode(page, name), itemCount })));
}

/** Waits until the category's list shows exactly the API answer `expected` (its first page and its total). */
async function showsExactly(page, category, expected) {
  await page.getByText(`Showing ${Math.min(expected.total, CATEGORY_PAGE_SIZE)} of ${expected.total} products`).waitFor();
  const wanted = expected.results.map((item) => item.asin);
  await waitFor(async () => (await listedAsins(page, category)).join() === wanted.join(), {
    timeout: 10_000,
    message: `the page does not list exactly ${wanted.join()}`,
  });
}

const decode = (page, html) => page.evaluate((text) => new DOMParser().parseFromString(text, 'text/html').body.textContent, html);

describe('AllStore journeys in Chromium', () => {
  let store;

  before(async () => {
    store = await openStore();
  });

  after(async () => {
    await store?.close();
  });

  it('makes personalisation visible: viewed rows, a filter on what was viewed, and demo mode labels', async () => {
    const [product] = (await store.api('items?limit=1')).results;
    const similar = (await store.api(`recommendationsitem/${encodeURIComponent(product.asin)}`)).results.map((item) => item.asin);
    const page = await store.newPage();
    const sent = recordKinesisEvents(page);
    await page.goto(`/product/${encodeURIComponent(product.asin)}`);
    const title = await decode(page, product.title);
    await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
    await waitFor(() => sent.length > 0, { timeout: 15_000, message: 'no view event reached Kinesis' });
    const sessionId = await page.evaluate(() => window.localStorage.getItem('allstore.sessionId'));

    await page.getByRole('link', { name: 'AllStore home' }).click();
    await page.getByRole('heading', { level: 1, name: 'Picked for this visit' }).waitFor();
    assert.deepEqual(await listedAsins(page, `Because you viewed ${title}`), similar);
    assert.deepEqual(await listedAsins(page, 'Recently viewed'), [product.asin]);
    if (!store.mock) {
      // The store's "unseen" filter leaves the product just viewed out of the session's picks.
      await waitFor(
        async () => {
          const picks = await store.api(`recommendations?sessionId=${sessionId}`);
          return picks.source?.filter && !picks.results.some((item) => item.asin === product.asin);
        },
        { timeout: 10_000, message: 'the viewed product was handed straight back as a recommendation' },
      );
      await page.reload();
      assert.ok(!(await listedAsins(page, 'Picked for this visit')).includes(product.asin));
    }

    await page.getByRole('button', { name: 'Demo mode' }).click();
    const panel = page.getByRole('complementary', { name: 'Demo details' });
    await panel.getByText(sessionId).waitFor();
    const labels = await page.locator('.demo-label').allTextContents();
    assert.equal(labels.length, 3, `one label per row: ${labels}`);
    if (!store.mock) {
      assert.match(labels[0], /^User-Personalization · campaign \S+ · filter \S+-unseen$/);
      assert.match(labels[1], /^SIMS · campaign \S+$/);
    }
    assert.equal(labels[2], 'Kept in this browser (localStorage); no API call');
    await page.getByRole('link', { name: title }).first().click();
    await panel.getByText(/click .* sent to Kinesis/).first().waitFor();
    await store.screenshot(page, 'product-demo-mode');
    assert.deepEqual(await page.pageErrors({ filter: 'all' }), []);
    await page.context().close();
  });

  it('adds to the cart with a distinct add-to-cart event on the clickstream', async () => {
    const [product] = (await store.api('items?limit=1')).results;
    const page = await store.newPage();
    const sent = recordKinesisEvents(page);
    await page.goto(`/product/${encodeURIComponent(product.asin)}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await waitFor(() => sent.some(({ event }) => event.eventType === 'add-to-cart'), {
      timeout: 15_000,
      message: 'no add-to-cart event reached Kinesis',
    });
    const added = sent.find(({ event }) => event.eventType === 'add-to-cart');
    assert.equal(added.status, 200);
    assert.equal(added.event.itemID, product.asin);
    await page.getByRole('link', { name: 'Cart, 1 item' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your cart' }).waitFor();
    assert.equal(await page.getByRole('list', { name: 'Cart' }).getByRole('listitem').count(), 1);
    await store.screenshot(page, 'cart');
    await page.context().close();
  });

  it('browses a category from the menu, a page at a time, and Back returns to the same place', async () => {
    const page = await store.newPage();
    await page.goto('/');
    await page.getByText('Categories', { exact: true }).click();
    const menu = page.getByRole('navigation', { name: 'Categories' });
    await menu.getByRole('link').first().waitFor();
    const names = await menu.getByRole('link').allTextContents();
    const listed = await catalogueCategories(store, page);
    assert.deepEqual(names, listed.map(({ name }) => name), 'the menu lists every category of /categories, in order');
    const sizes = await Promise.all(
      names.map(async (name) => (await store.api(`items?category=${encodeURIComponent(name)}&limit=1`)).total),
    );
    assert.deepEqual(sizes, listed.map(({ itemCount }) => itemCount), "each category's count is its page's total");
    for (const { name, itemCount } of listed) {
      const entry = menu.getByRole('listitem').filter({ has: page.getByRole('link', { name, exact: true }) });
      assert.equal(await entry.locator('[aria-hidden="true"]').textContent(), itemCount.toLocaleString('en-US'), name);
    }
    const largest = sizes.indexOf(Math.max(...sizes));
    const category = names[largest];
    const total = sizes[largest];
    await store.screenshot(page, 'category-menu');
    assert.ok(total > CATEGORY_PAGE_SIZE, `the largest category in the menu has only ${total} items`);
    const first = await store.api(`items?category=${encodeURIComponent(category)}&limit=${CATEGORY_PAGE_SIZE}`);
    const second = await store.api(
      `items?category=${encodeURIComponent(category)}&limit=${CATEGORY_PAGE_SIZE}&nextToken=${first.nextToken}`,
    );

    await menu.getByRole('link', { name: category, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: category }).waitFor();
    assert.equal(await page.title(), `${category} · AllStore`);
    assert.equal(
      await page.evaluate(() => document.activeElement?.tagName + ':' + document.activeElement?.textContent),
      `H1:${category}`,
      'focus did not move to the new page heading',
    );
    await page.getByText(`Showing ${CATEGORY_PAGE_SIZE} of ${total} products`).waitFor();
    await page.getByRole('button', { name: 'Show more' }).click();
    const shown = Math.min(total, 2 * CATEGORY_PAGE_SIZE);
    await page.getByText(`Showing ${shown} of ${total} products`).waitFor();
    assert.deepEqual(await listedAsins(page, category), [...first.results, ...second.results].map((item) => item.asin));
    await store.screenshot(page, 'category');

    const last = page.getByRole('list', { name: category, exact: true }).getByRole('article').last();
    await last.scrollIntoViewIfNeeded();
    const scrolled = await page.evaluate(() => window.scrollY);
    assert.ok(scrolled > 200, 'the category page is too short to test scroll restoration');
    await last.getByRole('link').first().click();
    await page.waitForURL(/\/product\//);
    await page.getByRole('heading', { level: 1 }).waitFor();
    assert.equal(await page.evaluate(() => window.scrollY), 0, 'a new page does not start at its top');
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: category }).waitFor();
    await waitFor(async () => Math.abs((await page.evaluate(() => window.scrollY)) - scrolled) < 5, {
      timeout: 5_000,
      message: 'Back did not restore the scroll position',
    });
    await page.context().close();
  });

  it("shows a product's newest reviews on its page, and none in any list", async () => {
    const listed = (await store.api('items?limit=50')).results;
    assert.ok(listed.every((item) => !('reviews' in item)), 'a list carries reviews');
    let product = null;
    let withoutReviews = null;
    for (const candidate of listed) {
      const whole = await store.api(`items/${encodeURIComponent(candidate.asin)}`);
      if (whole.reviews?.length) product ??= whole;
      else withoutReviews ??= whole;
      if (product && withoutReviews) break;
    }
    assert.ok(product, 'no product of the first 50 has reviews');
    const page = await store.newPage();
    await page.goto(`/product/${encodeURIComponent(product.asin)}`);
    const reviews = page.getByRole('region', { name: 'Reviews', exact: true });
    await reviews.waitFor();
    const shown = reviews.getByRole('listitem');
    assert.equal(await shown.count(), product.reviews.length);
    for (const [index, review] of product.reviews.entries()) {
      const card = shown.nth(index);
      const stars = Number.isInteger(review.stars) ? String(review.stars) : review.stars.toFixed(1);
      assert.equal(await card.getByRole('img', { name: `Rated ${stars} out of 5`, exact: true }).count(), 1);
      if (review.headline) await card.getByRole('heading', { level: 3, name: review.headline, exact: true }).waitFor();
      if (review.text) await card.getByText(review.text, { exact: true }).waitFor();
      await card.getByText(review.name ?? 'A shopper', { exact: true }).waitFor();
      assert.equal(await card.locator('time').getAttribute('datetime'), review.date);
    }
    await reviews.scrollIntoViewIfNeeded();
    await store.screenshot(page, 'product-reviews');
    if (withoutReviews) {
      await page.goto(`/product/${encodeURIComponent(withoutReviews.asin)}`);
      await page.getByRole('heading', { level: 1, name: await decode(page, withoutReviews.title), exact: true }).waitFor();
      assert.equal(await page.getByRole('heading', { name: 'Reviews', exact: true }).count(), 0);
    }
    await page.context().close();
  });

  it('filters a category page by brand and price and sorts it by price, as the API does', async () => {
    const page = await store.newPage();
    const listed = await catalogueCategories(store, page);
    const { name: category, itemCount } = listed.reduce((a, b) => (b.itemCount > a.itemCount ? b : a));
    const api = (query) => store.api(`items?category=${encodeURIComponent(category)}&limit=${CATEGORY_PAGE_SIZE}&${query}`);
    const every = await api(`sort=popularity&limit=100`);
    assert.equal(every.total, itemCount);
    const brandCounts = new Map();
    for (const item of every.results) if (item.brand) brandCounts.set(item.brand, (brandCounts.get(item.brand) ?? 0) + 1);
    const [brand] = [...brandCounts].sort((a, b) => b[1] - a[1])[0];
    const firstPage = (await api('')).results;
    const offered = firstPage.some((item) => item.brand === brand) ? brand : firstPage.find((item) => item.brand).brand;

    await page.goto('/');
    await page.getByText('Categories', { exact: true }).click();
    await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: category, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: category }).waitFor();
    const filters = page.getByRole('form', { name: 'Filter and sort' });

    await filters.getByRole('checkbox', { name: offered, exact: true }).check();
    await page.waitForURL((url) => url.searchParams.getAll('brand').join() === offered);
    const byBrand = await api(`brand=${encodeURIComponent(offered)}`);
    assert.ok(byBrand.total > 0 && byBrand.total < itemCount, `brand ${offered} has ${byBrand.total} of ${itemCount}`);
    await showsExactly(page, category, byBrand);
    assert.ok(byBrand.results.every((item) => item.brand === offered));
    assert.ok(
      await filters.getByRole('checkbox', { name: offered, exact: true }).evaluate((box) => box === document.activeElement),
      'filtering moved focus away from the checkbox (a refinement is not a new page)',
    );

    const prices = every.results.map((item) => Number(item.price)).filter((price) => Number.isFinite(price)).sort((a, b) => a - b);
    const [low, high] = [prices[Math.floor(prices.length / 4)], prices[Math.floor((3 * prices.length) / 4)]].map((price) => String(Math.floor(price)));
    await filters.getByRole('checkbox', { name: offered, exact: true }).uncheck();
    await filters.getByRole('spinbutton', { name: 'Min' }).fill(low);
    await filters.getByRole('spinbutton', { name: 'Max' }).fill(high);
    await filters.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((url) => url.searchParams.get('minPrice') === low && url.searchParams.get('maxPrice') === high && !url.searchParams.has('brand'));
    const byPrice = await api(`minPrice=${low}&maxPrice=${high}`);
    assert.ok(byPrice.total > 0 && byPrice.total < itemCount, `${byPrice.total} of ${itemCount} cost ${low}-${high}`);
    await showsExactly(page, category, byPrice);
    assert.ok(byPrice.results.every((item) => Number(item.price) >= Number(low) && Number(item.price) <= Number(high)));

    await filters.getByRole('combobox', { name: 'Sort by' }).selectOption({ label: 'Price: high to low' });
    await page.waitForURL((url) => url.searchParams.get('sort') === 'price-desc');
    const sorted = await api(`minPrice=${low}&maxPrice=${high}&sort=price-desc`);
    await showsExactly(page, category, sorted);
    const shownPrices = sorted.results.map((item) => Number(item.price));
    assert.deepEqual(shownPrices, [...shownPrices].sort((a, b) => b - a), 'dearest first');
    await store.screenshot(page, 'category-refined');
    await page.context().close();
  });

  it('shows one not-found state for an unknown product, without Retry', async () => {
    const page = await store.newPage();
    await page.goto('/product/NO-SUCH-PRODUCT');
    await page.getByRole('heading', { level: 1, name: 'Product not found' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Retry' }).count(), 0);
    assert.equal(await page.getByRole('alert').count(), 0);
    assert.equal(await page.title(), 'Product not found · AllStore');
    await store.screenshot(page, 'product-not-found');
    await page.context().close();
  });

  it('says what a misspelt search shows results for', async () => {
    const [product] = (await store.api('items?limit=1')).results;
    const word = product.title.split(/[^\p{L}]+/u).find((candidate) => candidate.length >= 6);
    const typo = word.slice(0, 2) + word[3] + word[2] + word.slice(4); // two letters swapped
    const answer = await store.api(`search?q=${encodeURIComponent(typo)}`);
    const page = await store.newPage();
    await page.goto(`/search?q=${encodeURIComponent(typo)}`);
    if (store.mock) return page.context().close(); // the mock does not correct queries
    assert.equal(answer.correctedQuery?.toLowerCase(), word.toLowerCase());
    await page.getByText(`Showing results for ${answer.correctedQuery}.`, { exact: false }).waitFor();
    await store.screenshot(page, 'search-corrected');
    await page.context().close();
  });

  it('pages through search results on a phone, badges inside their cards', async () => {
    const [user] = (await store.api('session')).UserList;
    const query = await wideQuery(store);
    const { total } = await store.api(`search?q=${encodeURIComponent(query)}&limit=1`);
    const page = await store.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto('/');
    await chooseUser(page, user);
    await page.goto(`/search?q=${encodeURIComponent(query)}`);
    await page.getByText(`Showing 24 of ${total} products`).waitFor();
    await page.getByRole('button', { name: 'Show more' }).click();
    await page.getByText(`Showing ${Math.min(total, 48)} of ${total} products`).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    const badges = await page.locator('.product-card .badge').evaluateAll((elements) =>
      elements.map((badge) => {
        const card = badge.closest('.product-card').getBoundingClientRect();
        const box = badge.getBoundingClientRect();
        return box.left >= card.left && box.right <= card.right;
      }),
    );
    assert.ok(badges.every(Boolean), 'a "Recommended for you" badge sticks out of its card');
    await page.goto('/');
    assert.equal(await page.getByRole('searchbox', { name: 'Search products' }).inputValue(), '', 'the search box kept the query');
    await page.goBack();
    await page.getByText(`Showing 24 of ${total} products`).waitFor();
    await store.screenshot(page, 'search-phone');
    await page.context().close();
  });
});

/** A one-word query with more than two pages of hits (learnt from the API). */
async function wideQuery(store) {
  const words = new Set(
    (await store.api('items?limit=50')).results.flatMap((item) => item.title.split(/[^\p{L}]+/u)).filter((word) => word.length >= 4),
  );
  for (const word of words) {
    const { total } = await store.api(`search?q=${encodeURIComponent(word)}&limit=1`);
    if (total > 48) return word;
  }
  throw new Error('no title word finds more than 48 products');
}
