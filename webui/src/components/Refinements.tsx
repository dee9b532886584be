import { type FormEvent, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import type { Refinement } from '../api/store';
import type { Item } from '../api/types';
import { useMediaQuery } from '../hooks/useMediaQuery';
import { SAME_PAGE } from '../navigation/NavigationEffects';
import { decodeEntities } from '../text/decodeEntities';

/**
 * The list's filters and order, kept in the address (`brand`, `minPrice`, `maxPrice`, `sort`) so
 * Back, reload and a shared link show the same list. `key` changes whenever the refinement does.
 * A change is a new history entry on the same page (focus and scroll stay: SAME_PAGE).
 */
export function useRefinement(): { refinement: Refinement; key: string; set: (next: Refinement) => void } {
  const [searchParams, setSearchParams] = useSearchParams();
  const key = ['brand', 'minPrice', 'maxPrice', 'sort'].map((name) => searchParams.getAll(name).join('|')).join('/');
  const refinement = useMemo(
    () => ({
      brand: searchParams.getAll('brand'),
      minPrice: searchParams.get('minPrice') ?? undefined,
      maxPrice: searchParams.get('maxPrice') ?? undefined,
      sort: searchParams.get('sort') ?? undefined,
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` is what the refinement is made of
    [key],
  );
  const set = (next: Refinement) =>
    setSearchParams((params) => {
      const kept = new URLSearchParams(params);
      for (const name of ['brand', 'minPrice', 'maxPrice', 'sort']) kept.delete(name);
      for (const brand of next.brand) kept.append('brand', brand);
      if (next.minPrice) kept.set('minPrice', next.minPrice);
      if (next.maxPrice) kept.set('maxPrice', next.maxPrice);
      if (next.sort) kept.set('sort', next.sort);
      return kept;
    }, { state: SAME_PAGE });
  return { refinement, key, set };
}

/** Phones: the width at which styles.css stacks the page (keep the two in step). */
export const NARROW_SCREEN = '(max-width: 640px)';

/** The refinement as one string, to tell whether the address now says something else. */
const refinementKey = (refinement: Refinement) =>
  JSON.stringify([refinement.brand, refinement.minPrice ?? '', refinement.maxPrice ?? '', refinement.sort ?? '']);

/**
 * Brand checkboxes (every brand this list has shown, and those chosen), a price range and a sort.
 * A brand is shown decoded ("Summit & Co") and sent as the catalogue has it ("Summit &amp; Co").
 *
 * The controls show the visitor's latest choice (`chosen`) at once, and follow the address again
 * when it changes (a change made here once the navigation renders, or Back). They cannot simply
 * show `refinement`: the router renders a new address as a transition, so until that commits a
 * controlled checkbox or select would snap back to the old value after the click, and a second
 * change made before then (another brand, Apply) would be built on the old refinement and undo the first.
 *
 * On a phone the controls sit in a "Filter & sort" disclosure, closed until opened, whose summary
 * says how many are in use; on wider screens it is always open and its summary is not shown.
 */
export function Refinements({
  refinement,
  onChange,
  items,
  sorts,
}: {
  refinement: Refinement;
  onChange: (next: Refinement) => void;
  items: Item[];
  sorts: [value: string, label: string][];
}) {
  const [chosen, setChosen] = useState(refinement);
  const [applied, setApplied] = useState(refinement);
  const [low, setLow] = useState(refinement.minPrice ?? '');
  const [high, setHigh] = useState(refinement.maxPrice ?? '');
  if (refinementKey(refinement) !== refinementKey(applied)) {
    // The address changed: show what it says; a price typed but not applied stays unless the range changed.
    setApplied(refinement);
    setChosen(refinement);
    if ((refinement.minPrice ?? '') !== (applied.minPrice ?? '')) setLow(refinement.minPrice ?? '');
    if ((refinement.maxPrice ?? '') !== (applied.maxPrice ?? '')) setHigh(refinement.maxPrice ?? '');
  }
  const [seen, setSeen] = useState<string[]>([]);
  const unseen = [...new Set(items.flatMap((item) => (item.brand && !seen.includes(item.brand) ? [item.brand] : [])))];
  if (unseen.length > 0) setSeen([...seen, ...unseen]); // brands stay offered while a filter hides them
  const brands = [...new Set([...chosen.brand, ...seen, ...unseen])].sort();
  const change = (next: Refinement) => {
    setChosen(next);
    onChange(next);
  };
  const applyPrices = (event: FormEvent) => {
    event.preventDefault();
    change({ ...chosen, minPrice: low || undefined, maxPrice: high || undefined });
  };
  const narrow = useMediaQuery(NARROW_SCREEN);
  const [expanded, setExpanded] = useState(false);
  const inUse = chosen.brand.length + (chosen.minPrice || chosen.maxPrice ? 1 : 0) + (chosen.sort ? 1 : 0);
  const toggle = (brand: string) =>
    change({
      ...chosen,
      brand: chosen.brand.includes(brand) ? chosen.brand.filter((one) => one !== brand) : [...chosen.brand, brand],
    });
  return (
    <form className="refinements" aria-label="Filter and sort" onSubmit={applyPrices}>
      <details
        className="refinements__disclosure"
        open={!narrow || expanded}
        onToggle={(event) => narrow && setExpanded(event.currentTarget.open)}
      >
        <summary className="refinements__summary">
          Filter &amp; sort
          {inUse > 0 && <span className="refinements__in-use"> · {inUse} in use</span>}
        </summary>
        <div className="refinements__controls">
          <label className="refinements__sort">
            <span className="refinements__caption">Sort by</span>
            <select
              value={chosen.sort ?? sorts[0]?.[0]}
              onChange={(event) => change({ ...chosen, sort: event.target.value === sorts[0]?.[0] ? undefined : event.target.value })}
            >
              {sorts.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {brands.length > 0 && (
            <fieldset className="refinements__brands">
              <legend>Brand</legend>
              {brands.map((brand) => (
                <label key={brand} className="refinements__choice">
                  <input type="checkbox" checked={chosen.brand.includes(brand)} onChange={() => toggle(brand)} />
                  {decodeEntities(brand)}
                </label>
              ))}
            </fieldset>
          )}
          <fieldset className="refinements__price">
            <legend>Price</legend>
            <label>
              Min <input type="number" min="0" step="any" inputMode="decimal" value={low} onChange={(event) => setLow(event.target.value)} />
            </label>
            <label>
              Max <input type="number" min="0" step="any" inputMode="decimal" value={high} onChange={(event) => setHigh(event.target.value)} />
            </label>
            <button type="submit" className="button">
              Apply
            </button>
          </fieldset>
        </div>
      </details>
    </form>
  );
}
