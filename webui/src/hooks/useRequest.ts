import { useCallback, useEffect, useMemo, useState } from 'react';

export type Loader<T> = (signal: AbortSignal) => Promise<T>;

export type RequestState<T> =
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | { status: 'ready'; data: T };

interface Settled<T> {
  load: Loader<T>;
  attempt: number;
  state: RequestState<T>;
}

/**
 * Runs `load` whenever it changes (callers memoise it on its inputs) and on `retry()`.
 * The outcome is tied to the loader and attempt that produced it, so a stale answer for an old
 * query is never shown as the answer for the new one, and out-of-date requests are aborted.
 */
export function useRequest<T>(load: Loader<T>): RequestState<T> & { retry: () => void } {
  const [attempt, setAttempt] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setSettled({ load, attempt, state: { status: 'ready', data } });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const reason = error instanceof Error ? error : new Error(String(error));
        setSettled({ load, attempt, state: { status: 'error', error: reason } });
      },
    );
    return () => controller.abort();
  }, [load, attempt]);

  const retry = useCallback(() => setAttempt((previous) => previous + 1), []);
  return useMemo(() => {
    const current: RequestState<T> =
      settled && settled.load === load && settled.attempt === attempt ? settled.state : { status: 'loading' };
    return { ...current, retry };
  }, [settled, load, attempt, retry]);
}
