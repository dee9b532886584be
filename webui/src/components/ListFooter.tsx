import { ErrorState } from './ErrorState';

/** "Showing 25 of 41" and a button for the next page, so a list never hides what it left out. */
export function ListFooter({
  shown,
  total,
  noun,
  hasMore,
  loadingMore,
  error,
  onMore,
}: {
  shown: number;
  total?: number;
  noun: string;
  hasMore: boolean;
  loadingMore: boolean;
  error: Error | null;
  onMore: () => void;
}) {
  if (shown === 0) return null;
  const count = total !== undefined ? `Showing ${shown} of ${total} ${noun}` : `Showing ${shown} ${noun}`;
  return (
    <div className="list-footer">
      <p className="list-footer__count" role="status">
        {count}
      </p>
      {error && <ErrorState title="Could not load more." error={error} onRetry={onMore} />}
      {hasMore && !error && (
        <button type="button" className="button" onClick={onMore} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Show more'}
        </button>
      )}
    </div>
  );
}
