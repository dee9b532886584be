import { useShopper } from '../session/ShopperContext';

const ANONYMOUS = '';

/** Chooses who is shopping: one of the store's demo users from /session, or anonymous. */
export function UserMenu() {
  const { session, userId, setUserId } = useShopper();

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

  const users = session.status === 'ready' ? session.data.UserList : [];
  return (
    <label className="user-menu">
      <span className="user-menu__label">Shopping as</span>
      <select
        value={userId ?? ANONYMOUS}
        disabled={session.status === 'loading'}
        onChange={(event) => setUserId(event.target.value === ANONYMOUS ? null : event.target.value)}
      >
        <option value={ANONYMOUS}>anonymous</option>
        {users.map((user) => (
          <option key={user.Id} value={user.Id}>
            {`${user.FirstName} ${user.LastName}`.trim() || user.Id}
          </option>
        ))}
        {session.status === 'loading' && userId && <option value={userId}>{userId}</option>}
      </select>
    </label>
  );
}
