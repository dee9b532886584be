const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** Catalogue prices are US dollars, as numbers or strings ("12.5", "$12.50"); odd strings show as-is. */
export function formatPrice(price: number | string | undefined): string | null {
  if (price === undefined || price === '') return null;
  const amount = typeof price === 'number' ? price : Number(price.replace(/^\$/, ''));
  if (Number.isFinite(amount)) return dollars.format(amount);
  return String(price);
}
