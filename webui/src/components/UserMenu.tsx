import { memo, useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { StoreUser } from '../api/types';
import { useShopper } from '../session/ShopperContext';

/** One entry of the list: a demo user, or anonymous (`id` null). */
interface Choice {
  id: string | null;
  name: string;
}

const ANONYMOUS: Choice = { id: null, name: 'anonymous' };

function displayName(user: StoreUser): string {
  return `${user.FirstName} ${user.LastName}`.trim() || user.Id;
}

/** Choices whose name or user id contains every typed word (any case). */
function matching(choices: Choice[], query: string): Choice[] {
  const words = query.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  return choices.filter((choice) => {
    const text = `${choice.name} ${choice.id ?? ''}`.toLocaleLowerCase();
    return words.every((word) => text.includes(word));
  });
}

/**
 * Chooses who is shopping: anonymous or one of the store's demo users from /session, sorted by
 * name. An editable combobox (WAI-ARIA APG, list autocomplete): typing filters the list, the arrow
 * keys only move through it, and the switch happens on Enter or a click on a name — never on an
 * arrow key, since each switch reloads every list on the page. Escape or leaving the box keeps the
 * current shopper. Memoised (it has no props): the header re-renders on every page and cart
 * change, the menu only when the shopper or /session does.
 */
export const UserMenu = memo(function UserMenu() {
  const { session, userId, user, setUserId } = useShopper();
  const [query, setQuery] = useState<string | null>(null); // null: not typing, the box shows the shopper
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const id = useId();
  const listRef = useRef<HTMLUListElement>(null);

  const users = session.status === 'ready' ? session.data.UserList.map((u) => ({ id: u.Id, name: displayName(u) })) : [];
  users.sort((a, b) => a.name.localeCompare(b.name));
  const choices = [ANONYMOUS, ...users];
  const shown = query ? matching(choices, query) : choices;
  const current = user ? displayName(user) : (userId ?? ANONYMOUS.name); // a remembered id until /session answers

  useEffect(() => {
    if (!open) return;
    const option = listRef.current?.children[active];
    if (option instanceof HTMLElement && option.scrollIntoView) option.scrollIntoView({ block: 'nearest' });
  }, [open, active]);

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

  const close = () => {
    setOpen(false);
    setQuery(null);
  };
  const commit = (choice: Choice | undefined) => {
    if (!choice) return;
    close();
    if (choice.id !== userId) setUserId(choice.id);
  };
  const openAt = (index: number) => {
    setOpen(true);
    setActive(Math.max(0, Math.min(index, shown.length - 1)));
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[event.key];
    if (step !== undefined) {
      event.preventDefault();
      if (!open) openAt(Math.max(0, shown.findIndex((choice) => choice.id === userId)));
      else openAt(active + step);
    } else if (event.key === 'Enter' && open) {
      event.preventDefault();
      commit(shown[active]);
    } else if (event.key === 'Escape') {
      close();
    }
  };

  const listId = `${id}-list`;
  const optionId = (index: number) => `${id}-option-${index}`;
  return (
    <div className="user-menu">
      <label className="user-menu__label" htmlFor={`${id}-input`}>
        Shopping as
      </label>
      <div className="user-menu__box">
        <input
          id={`${id}-input`}
          type="text"
          role="combobox"
          autoComplete="off"
          spellCheck={false}
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={open && shown.length ? optionId(active) : undefined}
          value={query ?? current}
          onChange={(event) => {
            setQuery(event.target.value);
            setOpen(true);
            setActive(0);
          }}
          onFocus={(event) => event.currentTarget.select()}
          onClick={() => (open ? close() : openAt(shown.findIndex((choice) => choice.id === userId)))}
          onKeyDown={onKeyDown}
          onBlur={close}
        />
        <div className="user-menu__popup" hidden={!open}>
          <ul id={listId} role="listbox" aria-label="Demo users" ref={listRef}>
            {shown.map((choice, index) => (
              <li
                key={choice.id ?? ''}
                id={optionId(index)}
                role="option"
                aria-selected={index === active}
                className={choice.id === userId ? 'user-menu__option user-menu__option--current' : 'user-menu__option'}
                // Keep focus in the box, so the click is not preceded by a blur that closes the list.
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => commit(choice)}
                onMouseMove={() => index !== active && setActive(index)}
              >
                {choice.name}
              </li>
            ))}
          </ul>
          {session.status === 'loading' && <p className="user-menu__note">Loading users…</p>}
          {session.status === 'ready' && !shown.length && <p className="user-menu__note">No user matches “{query}”.</p>}
        </div>
      </div>
    </div>
  );
});
