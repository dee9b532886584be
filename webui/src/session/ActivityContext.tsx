import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { Item } from '../api/types';
import { sendClickEvent } from '../events/clickEvents';
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

export interface Activity {
  /** The current shopper's recently viewed products, most recent first. */
  recentlyViewed: ItemSnapshot[];
  recordView: (item: Item) => void;
  cart: CartLine[];
  addToCart: (item: Item) => void;
  removeFromCart: (asin: string) => void;
  /** Puts an event for this shopper on the clickstream (views, add-to-cart) and lists it (useSentEvents). */
  sendEvent: (eventType: string, asin: string) => void;
  demoMode: boolean;
  setDemoMode: (on: boolean) => void;
}

const MAX_LISTED_EVENTS = 8;
const ActivityContext = createContext<Activity | null>(null);
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

  const recordView = useCallback(
    (item: Item) =>
      setViewedBy((previous) => {
        const next = { ...previous, [viewer]: withView(previous[viewer] ?? [], snapshot(item)) };
        writeJson(VIEWED_KEY, next);
        return next;
      }),
    [viewer],
  );

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

  const sendEvent = useCallback(
    (eventType: string, asin: string) => {
      if (!settings) return;
      const event = { ...(userId ? { userID: userId } : {}), itemID: asin, sessionID: sessionId, eventType };
      const listed: SentEvent = { ...event, at: new Date(), delivered: null };
      setSentEvents((previous) => [listed, ...previous].slice(0, MAX_LISTED_EVENTS));
      void sendClickEvent(settings, event).then((delivered) =>
        setSentEvents((previous) => previous.map((entry) => (entry === listed ? { ...entry, delivered } : entry))),
      );
    },
    [settings, userId, sessionId],
  );

  const setDemoMode = useCallback((on: boolean) => {
    writeStored(DEMO_KEY, on ? 'on' : null);
    setDemoModeState(on);
  }, []);

  const activity = useMemo(
    () => ({
      recentlyViewed: viewedBy[viewer] ?? [],
      recordView,
      cart,
      addToCart,
      removeFromCart,
      sendEvent,
      demoMode,
      setDemoMode,
    }),
    [viewedBy, viewer, recordView, cart, addToCart, removeFromCart, sendEvent, demoMode, setDemoMode],
  );
  return (
    <ActivityContext.Provider value={activity}>
      <SentEventsContext.Provider value={sentEvents}>{children}</SentEventsContext.Provider>
    </ActivityContext.Provider>
  );
}

export function useActivity(): Activity {
  const activity = useContext(ActivityContext);
  if (!activity) throw new Error('useActivity must be used inside <ActivityProvider>');
  return activity;
}

/** The last events this page sent, most recent first, with whether each reached the stream. */
export function useSentEvents(): SentEvent[] {
  const sentEvents = useContext(SentEventsContext);
  if (!sentEvents) throw new Error('useSentEvents must be used inside <ActivityProvider>');
  return sentEvents;
}
