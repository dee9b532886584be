import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { type Loader, useRequest } from './useRequest';

/** A loader whose answer the test releases by hand, recording whether it was aborted. */
function deferredLoader(answer: string) {
  let release = () => {};
  const loader = Object.assign(
    (signal: AbortSignal) =>
      new Promise<string>((resolve) => {
        signal.addEventListener('abort', () => (loader.aborted = true));
        release = () => resolve(answer);
      }),
    { aborted: false, release: () => release() },
  );
  return loader;
}

describe('useRequest', () => {
  it('never shows a late answer for a loader that was replaced, and aborts it', async () => {
    const first = deferredLoader('old query');
    const second = deferredLoader('new query');
    const { result, rerender } = renderHook(({ load }: { load: Loader<string> }) => useRequest(load), {
      initialProps: { load: first as Loader<string> },
    });
    rerender({ load: second });
    expect(first.aborted).toBe(true);

    await act(async () => first.release());
    expect(result.current.status).toBe('loading');
    await act(async () => second.release());
    expect(result.current).toMatchObject({ status: 'ready', data: 'new query' });
  });

  it('reports a failure and loads again on retry', async () => {
    let calls = 0;
    const load = async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      return 'fine';
    };
    const { result } = renderHook(() => useRequest(load));

    await waitFor(() => expect(result.current.status).toBe('error'));
    expect(result.current).toMatchObject({ error: new Error('boom') });
    act(() => result.current.retry());
    expect(result.current.status).toBe('loading');
    await waitFor(() => expect(result.current).toMatchObject({ status: 'ready', data: 'fine' }));
  });
});
