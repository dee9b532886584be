import type { Item, StoreSession } from '../api/types';

/** Small hand-made catalogue and session for component tests. */

export const session: StoreSession = {
  AnonymousPoolId: 'us-west-2:pool-1',
  StreamName: 'allstore-clicks',
  Region: 'us-west-2',
  UserList: [
    { Id: 'u1', FirstName: 'Ada', LastName: 'Lovelace' },
    { Id: 'u2', FirstName: 'Alan', LastName: 'Turing' },
  ],
};

export function item(asin: string, overrides: Partial<Item> = {}): Item {
  return { asin, title: `Product ${asin}`, imUrl: `/images/${asin}.svg`, genre: 'Sports', ...overrides };
}
