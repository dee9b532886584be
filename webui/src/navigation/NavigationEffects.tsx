import { useEffect, useRef } from 'react';
import { useLocation, useNavigationType } from 'react-router';

const POSITIONS_KEY = 'allstore.scrollPositions';
/** How long to wait for a page's content (it loads after navigation) before giving up. */
const SETTLE_MS = 3_000;

function readPositions(): Record<string, number> {
  try {
    return JSON.parse(window.sessionStorage.getItem(POSITIONS_KEY) ?? '{}') as Record<string, number>;
  } catch {
    return {};
  }
}

function savePosition(key: string, y: number): void {
  try {
    window.sessionStorage.setItem(POSITIONS_KEY, JSON.stringify({ ...readPositions(), [key]: y }));
  } catch {
    // Storage refused: Back simply starts at the top.
  }
}

/** The key react-router keeps in history.state ("default" for the entry the visit began with). */
function currentHistoryKey(): string {
  const state: unknown = window.history.state;
  return state && typeof state === 'object' && 'key' in state && typeof state.key === 'string' ? state.key : 'default';
}

/**
 * History state of a navigation that refines the page shown (a filter, the sort): the same page,
 * so focus and the scroll position stay where the visitor is, as they would on a form.
 */
export const SAME_PAGE = { samePage: true } as const;

function isSamePage(state: unknown): boolean {
  return typeof state === 'object' && state !== null && 'samePage' in state && state.samePage === true;
}

/** Calls `attempt` each frame until it returns true, the page is interacted with, or SETTLE_MS pass. */
function untilSettled(attempt: () => boolean): () => void {
  const deadline = performance.now() + SETTLE_MS;
  let frame = 0;
  const stop = () => {
    cancelAnimationFrame(frame);
    window.removeEventListener('wheel', stop);
    window.removeEventListener('touchstart', stop);
    window.removeEventListener('keydown', stop);
  };
  const step = () => {
    if (attempt() || performance.now() > deadline) stop();
    else frame = requestAnimationFrame(step);
  };
  window.addEventListener('wheel', stop, { passive: true });
  window.addEventListener('touchstart', stop, { passive: true });
  window.addEventListener('keydown', stop);
  step();
  return stop;
}

/**
 * What a browser does on a full page load, done for client-side navigation: Back/Forward return
 * to where the visitor was (once the page's content is there to scroll to); a new page starts at
 * its top with keyboard focus on its heading, so screen readers announce it (not a refinement of
 * the page shown: SAME_PAGE).
 */
export function NavigationEffects() {
  const location = useLocation();
  const navigationType = useNavigationType();
  const firstRender = useRef(true);

  useEffect(() => {
    if ('scrollRestoration' in window.history) window.history.scrollRestoration = 'manual';
  }, []);

  useEffect(() => {
    let frame = 0;
    const onScroll = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => {
        // Once the history has moved on (pushState happens before the old page is replaced),
        // scrolling is the browser clamping the old page's position: not the visitor's.
        if (currentHistoryKey() === location.key) savePosition(location.key, window.scrollY);
      });
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      cancelAnimationFrame(frame);
      window.removeEventListener('scroll', onScroll);
    };
  }, [location.key]);

  useEffect(() => {
    const initial = firstRender.current;
    firstRender.current = false;
    const saved = readPositions()[location.key];
    if (navigationType === 'POP' && saved !== undefined) {
      return untilSettled(() => {
        const reachable = document.documentElement.scrollHeight - window.innerHeight >= saved;
        if (reachable) window.scrollTo(0, saved);
        return reachable;
      });
    }
    if (initial || isSamePage(location.state)) return undefined;
    window.scrollTo(0, 0);
    return untilSettled(() => {
      const heading = document.querySelector<HTMLElement>('main h1');
      heading?.focus({ preventScroll: true });
      return heading !== null;
    });
  }, [location.key, location.state, navigationType]);

  return null;
}
