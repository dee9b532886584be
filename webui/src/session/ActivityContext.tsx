import { createContext, useCallback, useContext, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Item, StoreSession } from '../api/types';
import { type ClickEvent, sendClickEvent } from '../events/clickEvents';
import {
  CART_KEY,
  type CartLine,
  DEMO_KEY,
  isCart,
  isViewedByViewer,
  type ItemSnapshot,
  readJson,
  snapshot,
  VIEWED_KEY,
  viewerKey,
  withView,
  writeJson,
} from './activity';
import { readStored, writeStored } from './persistence';
import { useShopper } from './ShopperContext';

/** An event the page put on the clickstream, as demo mode lists it. */
export interface SentEvent {
  eventType: string;
  itemID: string;
  userID?: string;
  sessionID: string;
  at: Date;
  /** null while the PutRecord call is in flight. */
  delivered: boolean | null;
}

/** What can be done: the same functions for the page's whole life (useActivityActions). */
export interface ActivityActions {
  recordView: (item: Item) => void;
  addToCart: (item: Item) => void;
  removeFromCart: (asin: string) => void;
  /** Puts an event for this shopper on the clickstream (views, add-to-cart) and lists it (useSentEvents). */
  sendEvent: (eventType: string, asin: string) => void;
  setDemoMode: (on: boolean) => void;
}

export interface Activity extends ActivityActions {
  /** The current shopper's recently viewed products, most recent first. */
  recentlyViewed: ItemSnapshot[];
  cart: CartLine[];
  demoMode: boolean;
}

const MAX_LISTED_EVENTS = 8;
const ActivityContext = createContext<Activity | null>(null);
/** The actions alone: they never change, so their users re-render for nothing the shopper does. */
const ActionsContext = createContext<ActivityActions | null>(null);
/**
 * The events sent, apart from the rest: each event changes this list twice (sending, then sent),
 * and only demo mode's panel shows it, so the header, the rows and the product page do not
 * re-render for it.
 */
const SentEventsContext = createContext<SentEvent[] | null>(null);

export function ActivityProvider({ children }: { children: ReactNode }) {
  const { session, userId, sessionId } = useShopper();
  const [viewedBy, setViewedBy] = useState(() => readJson(VIEWED_KEY, {}, isViewedByViewer));
  const [cart, setCart] = useState(() => readJson(CART_KEY, [], isCart));
  const [sentEvents, setSentEvents] = useState<SentEvent[]>([]);
  const [demoMode, setDemoModeState] = useState(() => readStored(DEMO_KEY) === 'on');
  const viewer = viewerKey(userId, sessionId);
  const settings = session.status === 'ready' ? session.data : null;
  // Who is shopping, as the actions read it when called; brought up to date in the commit, before
  // any effect of the page (such as a product page's view event) runs. So the actions stay the
  // same functions when /session answers or the shopper changes.
  const shopper = useRef({ settings, userId, sessionId, viewer });
  // Events made before /session has answered (e.g. Add to cart clicked at once): sent, in order,
  // as soon as the stream's settings are known, never dropped.
  const waiting = useRef<{ event: ClickEvent; listed: SentEvent }[]>([]);

  const deliver = useCallback((to: StoreSession, event: ClickEvent, listed: SentEvent) => {
    void sendClickEvent(to, event).then((delivered) =>
      setSentEvents((previous) => previous.map((entry) => (entry === listed ? { ...entry, delivered } : entry))),
    );
  }, []);

  useLayoutEffect(() => {
    shopper.current = { settings, userId, sessionId, viewer };
    if (!settings) return;
    const queued = waiting.current;
    waiting.current = [];
    for (const { event, listed } of queued) deliver(settings, event, listed);
  }, [settings, userId, sessionId, viewer, deliver]);

  const recordView = useCallback((item: Item) => {
    const { viewer } = shopper.current;
    setViewedBy((previous) => {
      const next = { ...previous, [viewer]: withView(previous[viewer] ?? [], snapshot(item)) };
      writeJson(VIEWED_KEY, next);
      return next;
    });
  }, []);

  const addToCart = useCallback((item: Item) => {
    setCart((previous) => {
      const line = previous.find((entry) => entry.item.asin === item.asin);
      const next = line
        ? previous.map((entry) => (entry === line ? { ...entry, quantity: entry.quantity + 1 } : entry))
        : [...previous, { item: snapshot(item), quantity: 1 }];
      writeJson(CART_KEY, next);
      return next;
    });
  }, []);

  const removeFromCart = useCallback((asin: string) => {
    setCart((previous) => {
      const next = previous.filter((entry) => entry.item.asin !== asin);
      writeJson(CART_KEY, next);
      return next;
    });
  }, []);

  const sendEvent = useCallback((eventType: string, asin: string) => {
    const { settings, userId, sessionId } = shopper.current;
    const event = { ...(userId ? { userID: userId } : {}), itemID: asin, sessionID: sessionId, eventType };
    const listed: SentEvent = { ...event, at: new Date(), delivered: null };
    setSentEvents((previous) => [listed, ...previous].slice(0, MAX_LISTED_EVENTS));
    if (settings) deliver(settings, event, listed);
    else waiting.current.push({ event, listed });
  }, [deliver]);

  const setDemoMode = useCallback((on: boolean) => {
    writeStored(DEMO_KEY, on ? 'on' : null);
    setDemoModeState(on);
  }, []);

  const actions = useMemo(
    () => ({ recordView, addToCart, removeFromCart, sendEvent, setDemoMode }),
    [recordView, addToCart, removeFromCart, sendEvent, setDemoMode],
  );
  const activity = useMemo(
    () => ({ ...actions, recentlyViewed: viewedBy[viewer] ?? [], cart, demoMode }),
    [actions, viewedBy, viewer, cart, demoMode],
  );
  return (
    <ActionsContext.Provider value={actions}>
      <ActivityContext.Provider value={activity}>
        <SentEventsContext.Provider value={sentEvents}>{children}</SentEventsContext.Provider>
      </ActivityContext.Provider>
    </ActionsContext.Provider>
  );
}

export function useActivity(): Activity {
  const activity = useContext(ActivityContext);
  if (!activity) throw new Error('useActivity must be used inside <ActivityProvider>');
  return activity;
}

/** The last events this page sent, most recent first, with whether each reached the stream. */
/** The actions only, for components that show none of the activity (they never re-render for it). */
export function useActivityActions(): ActivityActions {
  const actions = useContext(ActionsContext);
  if (!actions) throw new Error('useActivityActions must be used inside <ActivityProvider>');
  return actions;
}

export function useSentEvents(): SentEvent[] {
  const sentEvents = useContext(SentEventsContext);
  if (!sentEvents) throw new Error('useSentEvents must be used inside <ActivityProvider>');
  return sentEvents;
}
