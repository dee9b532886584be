import { useRef, type KeyboardEvent } from 'react';
import type { StoreUser } from '../api/types';
import { useShopper } from '../session/ShopperContext';

const ANONYMOUS = '';
const BROWSING_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown']);

function displayName(user: StoreUser): string {
  return `${user.FirstName} ${user.LastName}`.trim() || user.Id;
}

/**
 * Chooses who is shopping: one of the store's demo users from /session (sorted by name; typing
 * letters jumps to a name), or anonymous. Moving through the closed list with the arrow keys only
 * previews a user: the switch happens on Enter or when focus leaves, not on every key press (each
 * switch reloads every list on the page).
 */
export function UserMenu() {
  const { session, userId, setUserId } = useShopper();
  const browsing = useRef(false);

  if (session.status === 'error') {
    return (
      <div className="user-menu user-menu--error" role="alert">
        <span>Users unavailable</span>
        <button type="button" className="button-link" onClick={session.retry}>
          Retry
        </button>
      </div>
    );
  }

  const users = session.status === 'ready' ? [...session.data.UserList] : [];
  users.sort((a, b) => displayName(a).localeCompare(displayName(b)));
  const commit = (value: string) => {
    browsing.current = false;
    const chosen = value === ANONYMOUS ? null : value;
    if (chosen !== userId) setUserId(chosen);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLSelectElement>) => {
    if (BROWSING_KEYS.has(event.key)) browsing.current = true;
    else if (event.key === 'Enter') commit(event.currentTarget.value);
  };
  return (
    <label className="user-menu">
      <span className="user-menu__label">Shopping as</span>
      <select
        key={`${userId ?? ANONYMOUS}\n${session.status}`}
        defaultValue={userId ?? ANONYMOUS}
        disabled={session.status === 'loading'}
        onKeyDown={onKeyDown}
        onChange={(event) => {
          if (!browsing.current) commit(event.target.value);
        }}
        onBlur={(event) => commit(event.target.value)}
      >
        <option value={ANONYMOUS}>anonymous</option>
        {users.map((user) => (
          <option key={user.Id} value={user.Id}>
            {displayName(user)}
          </option>
        ))}
        {session.status === 'loading' && userId && <option value={userId}>{userId}</option>}
      </select>
    </label>
  );
}
