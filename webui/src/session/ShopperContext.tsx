import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { fetchSession } from '../api/store';
import type { StoreSession, StoreUser } from '../api/types';
import { useRequest, type RequestState } from '../hooks/useRequest';
import { loadOrCreateSessionId, readStored, USER_KEY, writeStored } from './persistence';

/** Who is shopping: the store's /session settings, the chosen user (or anonymous) and the session id. */
export interface Shopper {
  session: RequestState<StoreSession> & { retry: () => void };
  /** null for an anonymous visitor. */
  userId: string | null;
  user: StoreUser | null;
  sessionId: string;
  setUserId: (userId: string | null) => void;
}

const ShopperContext = createContext<Shopper | null>(null);

export function ShopperProvider({ children }: { children: ReactNode }) {
  const session = useRequest(fetchSession);
  const [storedUserId, setStoredUserId] = useState(() => readStored(USER_KEY));
  const [sessionId] = useState(loadOrCreateSessionId);

  const setUserId = useCallback((userId: string | null) => {
    writeStored(USER_KEY, userId);
    setStoredUserId(userId);
  }, []);

  // A remembered user that the store no longer has (e.g. regenerated data) shops anonymously.
  const users = session.status === 'ready' ? session.data.UserList : null;
  const user = users?.find((candidate) => candidate.Id === storedUserId) ?? null;
  const userId = users && !user ? null : storedUserId;

  const shopper = useMemo(
    () => ({ session, userId, user, sessionId, setUserId }),
    [session, userId, user, sessionId, setUserId],
  );
  return <ShopperContext.Provider value={shopper}>{children}</ShopperContext.Provider>;
}

export function useShopper(): Shopper {
  const shopper = useContext(ShopperContext);
  if (!shopper) throw new Error('useShopper must be used inside <ShopperProvider>');
  return shopper;
}
