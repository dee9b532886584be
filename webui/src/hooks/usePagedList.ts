import { useCallback, useMemo, useState } from 'react';
import type { ItemList } from '../api/types';
import { type Loader, useRequest } from './useRequest';

/** Where the next page starts: the /items nextToken, or the /search offset. */
export type PageCursor = { nextToken: string } | { from: number };

export type PageLoader = (cursor: PageCursor | null, signal: AbortSignal) => Promise<ItemList>;

interface Paged {
  loader: PageLoader;
  pages: ItemList[];
  loadingMore: boolean;
  error: Error | null;
}

/** Pages beyond the first, by history entry, so Back shows as much of a list as was shown before. */
const remembered = new Map<string, ItemList[]>();

/**
 * A list read a page at a time: the first page like any request, then `more()` appends the next
 * one (from `nextToken`, or from the count shown so far when the answer has a `total`). The merged
 * answer keeps the first page's `total`, `warning` and `source`. `historyKey` (the location's key and what the list is)
 * brings back the pages shown when the visitor returns to the same history entry.
 */
export function usePagedList(loadPage: PageLoader, paging: 'token' | 'offset', historyKey: string) {
  const loadFirst: Loader<ItemList> = useCallback((signal) => loadPage(null, signal), [loadPage]);
  const first = useRequest(loadFirst);
  const [paged, setPaged] = useState<Paged>(() => ({
    loader: loadPage,
    pages: remembered.get(historyKey) ?? [],
    loadingMore: false,
    error: null,
  }));
  const current = useMemo(
    () => (paged.loader === loadPage ? paged : { loader: loadPage, pages: [], loadingMore: false, error: null }),
    [paged, loadPage],
  );

  const merged = useMemo(() => {
    if (first.status !== 'ready') return first;
    const results = [first.data, ...current.pages].flatMap((page) => page.results);
    const unique = [...new Map(results.map((item) => [item.asin, item])).values()];
    return { ...first, data: { ...first.data, results: unique } };
  }, [first, current.pages]);

  const pages = first.status === 'ready' ? [first.data, ...current.pages] : [];
  const shown = merged.status === 'ready' ? merged.data.results.length : 0;
  const total = first.status === 'ready' ? first.data.total : undefined;
  const cursor = nextCursor(pages, paging);

  const more = useCallback(() => {
    if (!cursor || current.loadingMore) return;
    setPaged({ ...current, loadingMore: true, error: null });
    loadPage(cursor, new AbortController().signal).then(
      (page) =>
        setPaged((previous) => {
          if (previous.loader !== loadPage) return previous;
          const pages = [...previous.pages, page];
          remembered.set(historyKey, pages);
          return { ...previous, pages, loadingMore: false };
        }),
      (error: unknown) =>
        setPaged((previous) =>
          previous.loader === loadPage
            ? { ...previous, loadingMore: false, error: error instanceof Error ? error : new Error(String(error)) }
            : previous,
        ),
    );
  }, [cursor, current, loadPage, historyKey]);

  return { request: merged, shown, total, hasMore: cursor !== null, more, loadingMore: current.loadingMore, moreError: current.error };
}

/** `token`: /items' nextToken; `offset`: /search's `from`, up to its `total`. */
function nextCursor(pages: ItemList[], paging: 'token' | 'offset'): PageCursor | null {
  const last = pages.at(-1);
  if (!last) return null;
  if (paging === 'token') return last.nextToken ? { nextToken: last.nextToken } : null;
  const read = pages.reduce((count, page) => count + page.results.length, 0);
  const total = pages[0]?.total ?? 0;
  return last.results.length > 0 && read < total ? { from: read } : null;
}
