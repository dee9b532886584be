import type { ItemList } from '../api/types';
import { useActivity } from '../session/ActivityContext';

/** Where a row comes from: the recipe family the route calls, or what the store shows instead. */
export type RowOrigin =
  | { recipe: 'User-Personalization' | 'SIMS' | 'Personalized-Ranking' }
  | { fixed: string };

/** In demo mode, says which recipe, campaign and filter are behind a row (what a workshop host points at). */
export function DemoLabel({ origin, data }: { origin: RowOrigin; data?: ItemList }) {
  const { demoMode } = useActivity();
  if (!demoMode) return null;
  return <p className="demo-label">{describeOrigin(origin, data)}</p>;
}

export function describeOrigin(origin: RowOrigin, data?: ItemList): string {
  if ('fixed' in origin) return origin.fixed;
  const source = data?.source;
  if (source) {
    return `${origin.recipe} · campaign ${source.campaign}${source.filter ? ` · filter ${source.filter}` : ''}`;
  }
  if (data?.warning) return `${origin.recipe} not used: fallback (see the notice)`;
  return `No campaign: the most popular items (DynamoDB popular-index)`;
}
