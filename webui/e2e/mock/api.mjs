import { CATEGORIES, ITEMS, USERS, descriptionOf, itemByAsin, reviewsOf } from './catalogue.mjs';

const NO_CAMPAIGN_WARNING =
  "Recommendations are not yet configured, so these are the store's most popular items.\n" +
  'To personalize them, train a User-Personalization solution and deploy a campaign (see the ' +
  "Personalize/ workshop notebooks), which writes it to the store's recommendations wiring parameter.";

/**
 * The AllStore API (BRIEF §4) over the mock catalogue. Recommendations follow the click events the
 * browser put on the mock Kinesis stream: a visitor's most-viewed category comes first, so viewing
 * products changes what is recommended, as it does with Personalize.
 */
export class MockApi {
  constructor() {
    /** Click events received through the mock Kinesis stream, oldest first. */
    this.clickEvents = [];
  }

  recordClick(event) {
    this.clickEvents.push(event);
  }

  /** Answers one GET below /Prod/ as `{ status, body }`. */
  handle(path, query) {
    const [resource, id, ...rest] = path.split('/').map(decodeURIComponent);
    if (rest.length) return notFound(path);
    if (resource === 'items' && id) return this.item(id);
    if (resource === 'items') return this.items(query);
    if (resource === 'categories' && !id) return ok(this.categories());
    if (resource === 'recommendations') return this.recommendations(id, query.get('sessionId'));
    if (resource === 'recommendationsitem' && id) return this.similarItems(id);
    if (resource === 'search' && !id) return this.search(query);
    if (resource === 'session' && !id) return ok(this.session());
    if (resource === 'description' && !id) return this.description(query.get('asin'));
    return notFound(path);
  }

  /** /session without Endpoints; the server adds them, as it knows where the AWS stand-ins listen. */
  session() {
    return {
      AnonymousPoolId: 'us-east-1:00000000-0000-4000-8000-000000000000',
      StreamName: 'allstore-clickstream',
      Region: 'us-east-1',
      UserList: USERS.map(({ Id, FirstName, LastName }) => ({ Id, FirstName, LastName })),
    };
  }

  /** The whole item, with its reviews (the product page's alone: lists never carry them). */
  item(asin) {
    const item = itemByAsin(asin);
    if (!item) return error(404, `Item ${asin} not found`);
    const reviews = reviewsOf(item);
    return ok(reviews.length ? { ...item, reviews } : item);
  }

  /** Like /categories: every category by department (the mock's all are one), alphabetical, with counts. */
  categories() {
    const categories = [...CATEGORIES].sort().map((name) => ({ name, itemCount: ITEMS.filter((item) => item.category === name).length }));
    const itemCount = categories.reduce((sum, category) => sum + category.itemCount, 0);
    return { departments: [{ name: 'Sports &amp; Outdoors', itemCount, categories }], itemCount };
  }

  items(query) {
    const limit = Number(query.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return error(400, 'limit must be an integer from 1 to 100');
    const category = query.get('category');
    const matching = category ? ITEMS.filter((item) => item.category === category) : ITEMS;
    const refined = ['brand', 'minPrice', 'maxPrice', 'sort', 'from'].some((name) => query.has(name));
    if (refined) {
      if (!category) return error(400, 'brand, minPrice, maxPrice, sort and from need a category');
      const kept = refine(matching, query);
      const from = Number(query.get('from') ?? 0);
      return ok({ results: kept.slice(from, from + limit), total: kept.length });
    }
    const start = Number(query.get('nextToken') ?? 0);
    const page = matching.slice(start, start + limit);
    const more = start + limit < matching.length;
    const total = category && !query.get('nextToken') ? { total: matching.length } : {};
    return ok({ results: page, ...total, ...(more ? { nextToken: String(start + limit) } : {}) });
  }

  recommendations(userId, sessionId) {
    if (userId !== undefined) {
      const user = USERS.find((candidate) => candidate.Id === userId);
      const viewed = this.clickEvents.filter((event) => event.userID === userId);
      return ok({ results: byCategory(favouriteCategory(viewed) ?? user?.favourite ?? CATEGORIES[0]) });
    }
    const viewed = sessionId ? this.clickEvents.filter((event) => !event.userID && event.sessionID === sessionId) : [];
    const category = favouriteCategory(viewed);
    return ok(category ? { results: byCategory(category) } : { results: ITEMS.slice(0, 12), warning: NO_CAMPAIGN_WARNING });
  }

  similarItems(asin) {
    const item = itemByAsin(asin);
    if (!item) return error(404, `Item ${asin} not found`);
    return ok({ results: ITEMS.filter((other) => other.category === item.category && other.asin !== asin) });
  }

  /** Like /search: a page of `limit` hits from `from`, with the `total`; only the first page re-ranked. */
  search(query) {
    const limit = Number(query.get('limit') ?? 25);
    const from = Number(query.get('from') ?? 0);
    const all = this.allHits(query.get('q'), from ? null : query.get('u'));
    if (all.status !== 200) return all;
    return ok({ results: all.body.results.slice(from, from + limit), total: all.body.results.length });
  }

  allHits(q, userId) {
    const words = (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return error(400, 'q is required');
    const found = ITEMS.filter((item) => {
      const text = `${item.title} ${item.category} ${item.brand ?? ''}`.toLowerCase();
      return words.every((word) => text.includes(word));
    });
    const user = USERS.find((candidate) => candidate.Id === userId);
    if (!user) return ok({ results: found });
    const viewed = this.clickEvents.filter((event) => event.userID === userId);
    const favourite = favouriteCategory(viewed) ?? user.favourite;
    const promoted = found.filter((item) => item.category === favourite).map((item) => ({ ...item, Promoted: true }));
    return ok({ results: [...promoted, ...found.filter((item) => item.category !== favourite)] });
  }

  description(asin) {
    if (!asin) return error(400, 'asin is required');
    const item = itemByAsin(asin);
    return item ? ok({ ASIN: asin, Items: descriptionOf(item) }) : error(404, `Item ${asin} not found`);
  }
}

/** As /items refines a category: any of the brands, the price range (unpriced items out), then the order. */
function refine(items, query) {
  const brands = query.getAll('brand');
  const price = (item) => (item.price === undefined ? null : Number(item.price));
  const min = query.has('minPrice') ? Number(query.get('minPrice')) : null;
  const max = query.has('maxPrice') ? Number(query.get('maxPrice')) : null;
  const kept = items.filter(
    (item) =>
      (!brands.length || brands.includes(item.brand)) &&
      (min === null || (price(item) !== null && price(item) >= min)) &&
      (max === null || (price(item) !== null && price(item) <= max)),
  );
  const sort = query.get('sort');
  if (sort === 'price-asc' || sort === 'price-desc') {
    const sign = sort === 'price-asc' ? 1 : -1;
    return [...kept].sort((a, b) => sign * (price(a) - price(b)));
  }
  return kept;
}

function favouriteCategory(events) {
  const counts = new Map();
  for (const event of events) {
    const category = itemByAsin(event.itemID)?.category;
    if (category) counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** The category's items first, then the rest of the catalogue: 12 in all. */
function byCategory(category) {
  return [...ITEMS.filter((item) => item.category === category), ...ITEMS.filter((item) => item.category !== category)].slice(0, 12);
}

const ok = (body) => ({ status: 200, body });
const error = (status, message) => ({ status, body: { message } });
const notFound = (path) => error(404, `No route for /Prod/${path}`);
