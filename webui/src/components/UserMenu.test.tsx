import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { chooseUser, userPicker } from '../test/chooseUser';
import { fakeApi } from '../test/fakeApi';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

describe('user menu', () => {
  it('lists anonymous and the users from /session', async () => {
    fakeApi({ session: { body: session }, recommendations: { body: { results: [item('A1')] } } });
    renderApp('/');

    await userEvent.setup().click(userPicker());
    const list = screen.getByRole('listbox', { name: 'Demo users' });
    await within(list).findByRole('option', { name: 'Ada Lovelace' });
    expect(within(list).getAllByRole('option').map((option) => option.textContent)).toEqual([
      'anonymous',
      'Ada Lovelace',
      'Alan Turing',
    ]);
  });

  it('offers a retry when /session fails, without breaking the page', async () => {
    fakeApi({
      session: (call) => (call === 1 ? { status: 500, body: { message: 'Users table unavailable' } } : { body: session }),
      recommendations: { body: { results: [item('A1', { title: 'Water Bottle' })] } },
    });
    const user = userEvent.setup();
    renderApp('/');

    expect(await screen.findByText('Users unavailable')).toBeTruthy();
    expect(await screen.findByRole('link', { name: /Water Bottle/ })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Retry' }));

    await chooseUser(user, 'Alan Turing');
    expect(userPicker().value).toBe('Alan Turing');
    expect(screen.queryByText('Users unavailable')).toBeNull();
  });
});

describe('user picker: sorted, searchable, switching only on Enter or a click', () => {
  const many = {
    ...session,
    UserList: [
      { Id: 'u3', FirstName: 'Zoe', LastName: 'Zhou' },
      { Id: 'u1', FirstName: 'Ada', LastName: 'Lovelace' },
      { Id: 'u2', FirstName: 'Alan', LastName: 'Turing' },
    ],
  };
  const names = () => screen.queryAllByRole('option').map((option) => option.textContent);

  it('sorts the users by name', async () => {
    fakeApi({ session: { body: many }, recommendations: { body: { results: [] } } });
    const user = userEvent.setup();
    renderApp('/');
    await user.click(userPicker());
    await screen.findByRole('option', { name: 'Zoe Zhou' });
    expect(names()).toEqual(['anonymous', 'Ada Lovelace', 'Alan Turing', 'Zoe Zhou']);
  });

  it('filters the list by what is typed (name or id, any case)', async () => {
    fakeApi({ session: { body: many }, recommendations: { body: { results: [] } } });
    const user = userEvent.setup();
    renderApp('/');
    await user.click(userPicker());
    await screen.findByRole('option', { name: 'Zoe Zhou' });

    await user.keyboard('AN');
    expect(names()).toEqual(['anonymous', 'Alan Turing']);
    await user.keyboard(' tu');
    expect(names()).toEqual(['Alan Turing']);
    await user.clear(userPicker());
    await user.keyboard('U3');
    expect(names()).toEqual(['Zoe Zhou']);
    await user.keyboard('x');
    expect(names()).toEqual([]);
    expect(screen.getByText('No user matches “U3x”.')).toBeTruthy();
  });

  it('does not switch user on arrow keys, only on Enter', async () => {
    const api = fakeApi({
      session: { body: many },
      recommendations: { body: { results: [] } },
      'recommendations/u2': { body: { results: [] } },
    });
    const user = userEvent.setup();
    renderApp('/');
    await screen.findByRole('heading', { level: 1, name: 'Popular right now' });
    await waitFor(() => expect(api.requestsTo('session')).toHaveLength(1));
    userPicker().focus();

    await user.keyboard('{ArrowDown}');
    const picker = userPicker();
    expect(picker.getAttribute('aria-expanded')).toBe('true');
    await screen.findByRole('option', { name: 'Zoe Zhou' });
    await user.keyboard('{ArrowDown}{ArrowDown}{ArrowDown}{ArrowUp}');
    const active = document.getElementById(picker.getAttribute('aria-activedescendant')!);
    expect(active?.textContent).toBe('Alan Turing');
    expect(active?.getAttribute('aria-selected')).toBe('true');
    expect(api.requestsTo('recommendations/')).toEqual([]);
    expect(picker.value).toBe('anonymous');

    await user.keyboard('{Enter}');
    expect(await screen.findByRole('heading', { level: 1, name: 'Recommended for you, Alan' })).toBeTruthy();
    expect(api.requestsTo('recommendations/')).toEqual(['/Prod/recommendations/u2']);
    expect(picker.value).toBe('Alan Turing');
    expect(picker.getAttribute('aria-expanded')).toBe('false');
  });

  it('keeps the shopper on Escape or when focus leaves, whatever was typed or browsed', async () => {
    const api = fakeApi({ session: { body: many }, recommendations: { body: { results: [] } } });
    const user = userEvent.setup();
    renderApp('/');
    await user.click(userPicker());
    await screen.findByRole('option', { name: 'Zoe Zhou' });

    await user.keyboard('zoe{ArrowDown}{Escape}');
    expect(userPicker().value).toBe('anonymous');
    expect(screen.queryByRole('listbox')).toBeNull();
    await user.click(userPicker());
    await user.keyboard('ada');
    await user.tab();
    expect(userPicker().value).toBe('anonymous');
    expect(api.requestsTo('recommendations/')).toEqual([]);
  });

  it('can be opened while /session loads, and lists the users once it answers', async () => {
    let answer: (value: void) => void = () => {};
    const answered = new Promise((resolve) => (answer = resolve));
    fakeApi({ session: { body: many }, recommendations: { body: { results: [] } } });
    const fetchMock = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      if (String(input).startsWith('/Prod/session')) await answered;
      return fetchMock(input, init);
    };
    const user = userEvent.setup();
    renderApp('/');
    await user.click(userPicker());

    expect(screen.getByText('Loading users…')).toBeTruthy();
    expect(names()).toEqual(['anonymous']);
    answer();
    expect(await screen.findByRole('option', { name: 'Zoe Zhou' })).toBeTruthy();
    expect(screen.queryByText('Loading users…')).toBeNull();
  });
});
