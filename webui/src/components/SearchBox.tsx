import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';

/** The header's search form; it shows the current query and navigates client-side on submit. */
export function SearchBox() {
  const [searchParams] = useSearchParams();
  const currentQuery = searchParams.get('q') ?? '';
  const [draft, setDraft] = useState({ query: currentQuery, typed: currentQuery });
  const navigate = useNavigate();

  // Follow the URL (back/forward, links) unless the visitor is typing something else.
  const text = draft.query === currentQuery ? draft.typed : currentQuery;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const query = text.trim();
    if (query) navigate(`/search?q=${encodeURIComponent(query)}`);
  }

  return (
    <form className="search-box" role="search" onSubmit={submit}>
      <input
        type="search"
        name="q"
        aria-label="Search products"
        placeholder="Search products"
        value={text}
        onChange={(event) => setDraft({ query: currentQuery, typed: event.target.value })}
        enterKeyHint="search"
      />
      <button type="submit">Search</button>
    </form>
  );
}
