/**
 * The mock store's small catalogue: four categories of six products, demo users with a favourite
 * category, and the awkward cases the UI must handle (HTML entities in titles, a missing image,
 * a broken image URL, string prices, no brand).
 */

export const CATEGORIES = ['Camping', 'Cycling', 'Fitness', 'Running'];

const NOUNS = {
  Camping: ['Dome Tent', 'Sleeping Bag', 'Camp Stove', 'Lantern', 'Cooler', 'Hammock'],
  Cycling: ['Road Helmet', 'Bike Light', 'Saddle Bag', 'Floor Pump', 'Cycling Gloves', 'Bottle Cage'],
  Fitness: ['Yoga Mat', 'Kettlebell', 'Jump Rope', 'Foam Roller', 'Resistance Band', 'Dumbbell Set'],
  Running: ['Trail Shoe', 'Running Vest', 'Sport Watch', 'Compression Socks', 'Headband', 'Water Flask'],
};

const BRANDS = ['Northwind', 'Summit &amp; Co', 'Peak', undefined];

export const USERS = [
  { Id: '1', FirstName: 'Maria', LastName: 'Garcia', favourite: 'Camping' },
  { Id: '2', FirstName: 'James', LastName: 'Smith', favourite: 'Cycling' },
  { Id: '3', FirstName: 'Aiko', LastName: 'Tanaka', favourite: 'Fitness' },
];

export const ITEMS = CATEGORIES.flatMap((category, c) =>
  NOUNS[category].map((noun, n) => {
    const asin = `B0MOCK${String(c * 6 + n + 1).padStart(4, '0')}`;
    const item = {
      asin,
      title: n === 0 ? `Explorer&#39;s ${noun} &amp; Carry Bag` : `${BRANDS[n % 3].replace(' &amp; Co', '')} ${noun}`,
      imUrl: `/images/${asin}.svg`,
      genre: category,
      category,
      price: n % 2 ? (19.99 + c * 10 + n).toFixed(2) : 24.5 + c * 10 + n,
    };
    const brand = BRANDS[n % 4];
    if (brand) item.brand = brand;
    return item;
  }),
);
// The image edge cases: one product without imUrl, one whose image URL is broken.
delete ITEMS[5].imUrl;
ITEMS[11].imUrl = '/images/missing-image.jpg';

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
