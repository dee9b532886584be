/**
 * The mock store's small catalogue: four categories of 24 products (six kinds, each in four
 * editions), demo users with a favourite category, and the awkward cases the UI must handle (HTML
 * entities in titles, a missing image, a broken image URL, string prices, no brand). Large enough
 * for the journeys that page: a category longer than a page of 12, and a title word ("Ultra") that
 * finds more than two pages of 24 search results.
 */

export const CATEGORIES = ['Camping', 'Cycling', 'Fitness', 'Running'];

const NOUNS = {
  Camping: ['Dome Tent', 'Sleeping Bag', 'Camp Stove', 'Lantern', 'Cooler', 'Hammock'],
  Cycling: ['Road Helmet', 'Bike Light', 'Saddle Bag', 'Floor Pump', 'Cycling Gloves', 'Bottle Cage'],
  Fitness: ['Yoga Mat', 'Kettlebell', 'Jump Rope', 'Foam Roller', 'Resistance Band', 'Dumbbell Set'],
  Running: ['Trail Shoe', 'Running Vest', 'Sport Watch', 'Compression Socks', 'Headband', 'Water Flask'],
};

const BRANDS = ['Northwind', 'Summit &amp; Co', 'Peak', undefined];
const EDITIONS = ['', ' Ultra', ' Ultra XL', ' Ultra Lite'];

export const USERS = [
  { Id: '1', FirstName: 'Maria', LastName: 'Garcia', favourite: 'Camping' },
  { Id: '2', FirstName: 'James', LastName: 'Smith', favourite: 'Cycling' },
  { Id: '3', FirstName: 'Aiko', LastName: 'Tanaka', favourite: 'Fitness' },
];

export const ITEMS = CATEGORIES.flatMap((category, c) =>
  NOUNS[category].flatMap((noun, n) =>
    EDITIONS.map((edition, e) => {
      const number = (c * 6 + n) * EDITIONS.length + e + 1;
      const asin = `B0MOCK${String(number).padStart(4, '0')}`;
      const brand = BRANDS[n % 4];
      const item = {
        asin,
        title:
          n === 0
            ? `Explorer&#39;s ${noun}${edition} &amp; Carry Bag`
            : `${brand ? `${brand.replace(' &amp; Co', '')} ` : ''}${noun}${edition}`,
        imUrl: `/images/${asin}.svg`,
        genre: category,
        category,
        price: n % 2 ? (19.99 + c * 10 + n + e * 5).toFixed(2) : 24.5 + c * 10 + n + e * 5,
      };
      if (brand) item.brand = brand;
      return item;
    }),
  ),
);
// The image edge cases: one product without imUrl, one whose image URL is broken.
delete ITEMS[5].imUrl;
ITEMS[11].imUrl = '/images/missing-image.jpg';

const REVIEW_WORDS = [
  { stars: 5, headline: 'Love it', text: 'Exactly as described and well made. Would buy again.' },
  { stars: 4, headline: 'Solid choice', text: 'Does the job well. My only gripe: smaller than I expected.' },
  { stars: 2, headline: 'Expected more', text: 'It showed wear after a few weeks.' },
  { stars: 3, headline: 'Mixed feelings' },
];
const REVIEWERS = ['Maya P.', 'Leo Hughes', 'Sofia', undefined];

/**
 * Reviews as GET /items/{id} returns them (newest first, at most 3; none for every third product)
 * with the rating they make on every item, as the loader writes it. Lists carry no reviews.
 */
export function reviewsOf(item) {
  const index = ITEMS.indexOf(item);
  if (index % 3 === 2) return [];
  return Array.from({ length: 1 + (index % 3) * 2 }, (_, n) => {
    const words = REVIEW_WORDS[(index + n) % REVIEW_WORDS.length];
    const name = REVIEWERS[(index + n) % REVIEWERS.length];
    const date = new Date(Date.UTC(2023, 10 - n * 2, 1 + ((index * 7) % 27))).toISOString().slice(0, 10);
    return { ...(name ? { name } : {}), ...words, date };
  }).slice(0, 3);
}

for (const item of ITEMS) {
  const reviews = reviewsOf(item);
  if (!reviews.length) continue;
  item.rating = Math.round((reviews.reduce((sum, review) => sum + review.stars, 0) / reviews.length) * 10) / 10;
  item.ratingCount = reviews.length;
}

export function itemByAsin(asin) {
  return ITEMS.find((item) => item.asin === asin);
}

export function descriptionOf(item) {
  return [
    `${item.category} gear, tested by the AllStore team`,
    `Weighs ${(item.asin.charCodeAt(9) % 7) + 1}&nbsp;kg`,
    'Free returns within 30 days',
  ];
}

/** A product photo stand-in: a coloured tile with the product's initials, as an SVG. */
export function imageOf(item) {
  const hue = (CATEGORIES.indexOf(item.category) * 90 + 160) % 360;
  const initials = item.title
    .replace(/&[#\w]+;/g, '')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0])
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200">
<rect width="200" height="200" fill="hsl(${hue} 60% 92%)"/>
<circle cx="100" cy="90" r="52" fill="hsl(${hue} 55% 45%)"/>
<text x="100" y="106" font-family="sans-serif" font-size="44" font-weight="700" fill="#fff" text-anchor="middle">${initials}</text>
<text x="100" y="180" font-family="sans-serif" font-size="16" fill="hsl(${hue} 40% 30%)" text-anchor="middle">${item.category}</text>
</svg>`;
}
