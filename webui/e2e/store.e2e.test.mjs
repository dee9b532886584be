/**
 * Browser tests of the web store, driving headless Chromium through playwright-core against a
 * running store (ALLSTORE_E2E_BASE_URL, e.g. `make run`) or, by default, the mock store. They only
 * assume the API contract (BRIEF §4): what to expect is learnt from the store's own API.
 * Screenshots of every page go to test-artifacts/webui/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chooseUser, openStore } from './harness.mjs';

const RECOMMENDATIONS_TIMEOUT_MS = Number(process.env.ALLSTORE_E2E_RECOMMENDATIONS_TIMEOUT_MS ?? 60_000);
const KINESIS_PUT_RECORD = 'Kinesis_20131202.PutRecord';

/** Products linked from the list with that accessible name, as ASINs in page order. */
/** The products a list shows, once it has loaded (a heading can appear before its items). */
async function listedAsins(page, listName) {
  const links = page.getByRole('list', { name: listName, exact: true }).locator('a[href^="/product/"]');
  await links.first().waitFor();
  const hrefs = await links.evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
  return hrefs.map((href) => decodeURIComponent(href.slice('/product/'.length)));
}

/** Marks the document so a later check can tell client-side navigation from a full page load. */
async function markDocument(page) {
  await page.evaluate(() => {
    document.documentElement.dataset.e2eDocument = 'first';
  });
}

async function documentKept(page) {
  return page.evaluate(() => document.documentElement.dataset.e2eDocument === 'first');
}

/** The click events the page put on Kinesis (read from the signed requests it sent). */
function recordKinesisEvents(page) {
  const events = [];
  page.on('requestfinished', async (request) => {
    if (request.headers()['x-amz-target'] !== KINESIS_PUT_RECORD) return;
    const response = await request.response();
    const input = JSON.parse(request.postData() ?? '{}');
    events.push({
      status: response?.status(),
      streamName: input.StreamName,
      event: JSON.parse(Buffer.from(input.Data, 'base64').toString('utf8')),
    });
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

describe('AllStore web store in Chromium', () => {
  let store;
  let session;

  before(async () => {
    store = await openStore();
    session = await store.api('session');
    assert.ok(session.UserList.length >= 2, 'the store needs at least two demo users');
  });

  after(async () => {
    await store?.close();
  });

  it('shows popular items to an anonymous visitor and recommendations for a chosen user', async () => {
    const page = await store.newPage();
    await page.goto('/');
    await page.getByRole('heading', { level: 1, name: 'Popular right now' }).waitFor();
    assert.ok((await listedAsins(page, 'Popular right now')).length > 0, 'no popular items shown');
    await store.screenshot(page, 'home-anonymous');

    const user = session.UserList[0];
    await chooseUser(page, user);
    const heading = `Recommended for you, ${user.FirstName}`;
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    const expected = (await store.api(`recommendations/${encodeURIComponent(user.Id)}`)).results.map((item) => item.asin);
    assert.ok(expected.length > 0, `the API recommends nothing for user ${user.Id}`);
    assert.deepEqual(await listedAsins(page, heading), expected);
    await store.screenshot(page, 'home-user');

    await page.reload();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    assert.equal(
      await page.getByRole('combobox', { name: 'Shopping as' }).inputValue(),
      `${user.FirstName} ${user.LastName}`,
      'the chosen user did not survive a reload',
    );
    assert.deepEqual(await page.pageErrors({ filter: 'all' }), []);
    await page.context().close();
  });

  it('searches from the keyboard and marks re-ranked results with a badge', async () => {
    const user = session.UserList[0];
    const query = await queryWithPromotedResults(store, user);
    const expected = await store.api(`search?q=${encodeURIComponent(query)}&u=${encodeURIComponent(user.Id)}`);
    const page = await store.newPage();
    await page.goto('/');
    await chooseUser(page, user);
    // A keyboard visitor arriving at the store: a fresh document (the user stays chosen), so Tab
    // starts at its top. (After the picker, Tab would go on from it through every product link:
    // body.focus() does not move the starting point, and how far that is depends on what has loaded.)
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /Recommended for you/ }).waitFor();
    await markDocument(page);

    const searchBox = page.getByRole('searchbox', { name: 'Search products' });
    const passed = [];
    while (!(await searchBox.evaluate((input) => input === document.activeElement))) {
      assert.ok(passed.length < 6, `Tab never reached the search box; it went to ${passed.join(', ')}`);
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => {
        const focused = document.activeElement;
        return `${focused?.closest('main') ? 'the page: ' : ''}${focused?.tagName} ${focused?.textContent?.trim().slice(0, 30) ?? ''}`;
      });
      assert.ok(!where.startsWith('the page'), `Tab reached the page before the search box (${where})`);
      passed.push(where);
    }
    await page.keyboard.type(query);
    await page.keyboard.press('Enter');

    const listName = `Results for “${query}”`;
    await page.getByRole('list', { name: listName, exact: true }).waitFor();
    assert.equal(new URL(page.url()).search, `?q=${encodeURIComponent(query)}`);
    assert.deepEqual(await listedAsins(page, listName), expected.results.map((item) => item.asin));
    const badges = page.getByRole('list', { name: listName, exact: true }).getByText('Recommended for you', { exact: true });
    assert.equal(await badges.count(), expected.results.filter((item) => item.Promoted).length);
    assert.ok(await badges.first().isVisible(), 'the badge is not visible');
    assert.ok(await documentKept(page), 'searching reloaded the whole page');
    await store.screenshot(page, 'search');

    await page.getByRole('list', { name: listName, exact: true }).getByRole('link').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/product\//);
    assert.ok(await documentKept(page), 'opening a product reloaded the whole page');
    assert.deepEqual(await page.pageErrors({ filter: 'all' }), []);
    await page.context().close();
  });

  it('shows a product with its description, similar items and recommendations, and sends a click event', async () => {
    const user = session.UserList[0];
    const [product] = (await store.api(`recommendations/${encodeURIComponent(user.Id)}`)).results;
    const description = await store.api(`description?asin=${encodeURIComponent(product.asin)}`);
    const similar = await store.api(`recommendationsitem/${encodeURIComponent(product.asin)}`);
    const page = await store.newPage();
    const sent = recordKinesisEvents(page);
    await page.goto('/');
    await chooseUser(page, user);
    await markDocument(page);

    await page.getByRole('list', { name: /Recommended for you/ }).locator(`a[href="/product/${product.asin}"]`).click();
    const title = await page.evaluate((html) => new DOMParser().parseFromString(html, 'text/html').body.textContent, product.title);
    await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
    assert.ok(await documentKept(page), 'following a product link reloaded the whole page');
    const bullets = description.Items.filter((bullet) => bullet.trim());
    if (bullets.length) {
      await page.locator('.description li').first().waitFor();
      assert.equal(await page.locator('.description li').count(), bullets.length);
    }
    await page.getByRole('list', { name: 'Similar items', exact: true }).waitFor();
    assert.deepEqual(await listedAsins(page, 'Similar items'), similar.results.map((item) => item.asin));
    await page.getByRole('list', { name: 'Recommended for you', exact: true }).waitFor();
    await store.screenshot(page, 'product');

    await waitFor(() => sent.length > 0, { timeout: 15_000, message: 'no click event reached Kinesis' });
    assert.equal(sent[0].status, 200);
    assert.equal(sent[0].streamName, session.StreamName);
    const sessionId = await page.evaluate(() => window.localStorage.getItem('allstore.sessionId'));
    assert.deepEqual(sent[0].event, { userID: user.Id, itemID: product.asin, sessionID: sessionId, eventType: 'click' });
    assert.deepEqual(await page.pageErrors({ filter: 'all' }), []);
    await page.context().close();
  });

  it("changes a user's home recommendations after they view three products of one category", async () => {
    const user = session.UserList[1];
    const before = (await store.api(`recommendations/${encodeURIComponent(user.Id)}`)).results.map((item) => item.asin);
    const viewed = await threeProductsOfAnUnrecommendedCategory(store, before);
    const page = await store.newPage();
    const sent = recordKinesisEvents(page);
    await page.goto('/');
    await chooseUser(page, user);
    const heading = `Recommended for you, ${user.FirstName}`;
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();

    for (const [index, asin] of viewed.entries()) {
      await page.goto(`/product/${encodeURIComponent(asin)}`);
      await page.getByRole('list', { name: 'Similar items', exact: true }).waitFor();
      // Stay on the page until its view is recorded, as a visitor reading it would.
      await waitFor(() => sent.length > index, { timeout: 15_000, message: `no click event for ${asin}` });
    }
    assert.deepEqual(
      sent.map(({ event }) => event.itemID),
      viewed,
    );
    assert.ok(sent.every(({ status, event }) => status === 200 && event.userID === user.Id));

    await page.getByRole('link', { name: 'AllStore home' }).click();
    let shown = [];
    await waitFor(
      async () => {
        await page.reload();
        await page.getByRole('list', { name: heading, exact: true }).waitFor();
        shown = await listedAsins(page, heading);
        return shown.join() !== before.join();
      },
      {
        timeout: RECOMMENDATIONS_TIMEOUT_MS,
        interval: 2_000,
        message: `recommendations for user ${user.Id} did not change within ${RECOMMENDATIONS_TIMEOUT_MS} ms`,
      },
    );
    if (store.mock) {
      assert.deepEqual(shown.slice(0, 3).sort(), [...viewed].sort(), 'the mock ranks the viewed category first');
    }
    await store.screenshot(page, 'home-after-views');
    await page.context().close();
  });

  it('survives a reload on deep links', async () => {
    const [product] = (await store.api('items?limit=1')).results;
    const page = await store.newPage();
    await page.goto(`/product/${encodeURIComponent(product.asin)}`);
    await page.reload();
    await page.getByRole('heading', { level: 1 }).waitFor();
    assert.notEqual(await page.getByRole('heading', { level: 1 }).textContent(), 'Page not found');
    await page.getByRole('list', { name: 'Similar items', exact: true }).waitFor();

    await page.goto('/search?q=a%20b');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Results for “a b”' }).waitFor();
    assert.equal(await page.getByRole('searchbox', { name: 'Search products' }).inputValue(), 'a b');
    assert.deepEqual(await page.pageErrors({ filter: 'all' }), []);
    await page.context().close();
  });

  it('shows an error with Retry when the API fails, and recovers', async () => {
    const page = await store.newPage();
    const apiPath = new URL(store.apiUrl).pathname;
    let failing = true;
    await page.route(
      (url) => url.pathname.startsWith(`${apiPath}recommendations`) && !url.pathname.startsWith(`${apiPath}recommendationsitem`),
      (route) =>
        failing
          ? route.fulfill({
              status: 503,
              contentType: 'application/json',
              body: JSON.stringify({ message: 'Recommendations are unavailable (simulated by the test)' }),
            })
          : route.fallback(),
    );
    await page.goto('/');
    const alert = page.getByRole('alert');
    await alert.getByText('Recommendations are unavailable (simulated by the test)').waitFor();
    await store.screenshot(page, 'error');

    failing = false;
    await alert.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('list', { name: 'Popular right now', exact: true }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0);
    await page.context().close();
  });

  it('fits a phone screen', async () => {
    const page = await store.newPage({ viewport: { width: 390, height: 844 } });
    const [product] = (await store.api('items?limit=1')).results;
    await page.goto(`/product/${encodeURIComponent(product.asin)}`);
    await page.getByRole('list', { name: 'Similar items', exact: true }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await store.screenshot(page, 'product-phone');
    await page.goto('/');
    // The product just viewed makes the anonymous home page this visit's picks.
    await page.getByRole('list', { name: 'Picked for this visit', exact: true }).waitFor();
    await page.getByRole('list', { name: 'Recently viewed', exact: true }).waitFor();
    await store.screenshot(page, 'home-phone');
    await page.context().close();
  });
});

/** A word from a recommended title whose search the store re-ranks for the user (some Promoted). */
async function queryWithPromotedResults(store, user) {
  const recommended = (await store.api(`recommendations/${encodeURIComponent(user.Id)}`)).results;
  const words = new Set(
    recommended.flatMap((item) => item.title.replace(/&[#\w]+;/g, ' ').split(/[^\p{L}\p{N}]+/u)).filter((word) => word.length >= 4),
  );
  for (const word of [...words].slice(0, 10)) {
    const found = await store.api(`search?q=${encodeURIComponent(word)}&u=${encodeURIComponent(user.Id)}`);
    if (found.results.some((item) => item.Promoted)) return word;
  }
  throw new Error(`no search for words of user ${user.Id}'s recommendations returned a Promoted item`);
}

/** Three products of the category least present in `recommended` (fewest of them recommended). */
async function threeProductsOfAnUnrecommendedCategory(store, recommended) {
  const catalogue = (await store.api('items?limit=100')).results;
  const byCategory = new Map();
  for (const item of catalogue) {
    if (!item.category) continue;
    byCategory.set(item.category, [...(byCategory.get(item.category) ?? []), item.asin]);
  }
  const [best] = [...byCategory.values()]
    .filter((asins) => asins.length >= 3)
    .map((asins) => ({ asins, overlap: asins.filter((asin) => recommended.includes(asin)).length }))
    .sort((a, b) => a.overlap - b.overlap);
  assert.ok(best, 'the catalogue needs a category with at least three products');
  return best.asins.filter((asin) => !recommended.includes(asin)).slice(0, 3);
}
