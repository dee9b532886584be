import { fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeApi } from '../test/fakeApi';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

describe('user menu', () => {
  it('lists anonymous and the users from /session', async () => {
    fakeApi({ session: { body: session }, recommendations: { body: { results: [item('A1')] } } });
    renderApp('/');

    await screen.findByRole('option', { name: 'Ada Lovelace' });
    const menu = screen.getByLabelText('Shopping as');
    expect(within(menu).getAllByRole('option').map((option) => option.textContent)).toEqual([
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

    expect(await screen.findByRole('option', { name: 'Alan Turing' })).toBeTruthy();
    expect(screen.queryByText('Users unavailable')).toBeNull();
  });
});

describe('user menu order and keyboard', () => {
  const many = {
    ...session,
    UserList: [
      { Id: 'u3', FirstName: 'Zoe', LastName: 'Zhou' },
      { Id: 'u1', FirstName: 'Ada', LastName: 'Lovelace' },
      { Id: 'u2', FirstName: 'Alan', LastName: 'Turing' },
    ],
  };

  it('sorts the users by name', async () => {
    fakeApi({ session: { body: many }, recommendations: { body: { results: [] } } });
    renderApp('/');
    await screen.findByRole('option', { name: 'Zoe Zhou' });
    const menu = screen.getByLabelText('Shopping as');
    expect(within(menu).getAllByRole('option').map((option) => option.textContent)).toEqual([
      'anonymous',
      'Ada Lovelace',
      'Alan Turing',
      'Zoe Zhou',
    ]);
  });

  it('does not switch user on every arrow key, only on Enter', async () => {
    const api = fakeApi({
      session: { body: many },
      recommendations: { body: { results: [] } },
      'recommendations/u2': { body: { results: [] } },
    });
    renderApp('/');
    await screen.findByRole('option', { name: 'Zoe Zhou' });
    const menu = screen.getByLabelText('Shopping as') as HTMLSelectElement;

    for (const value of ['u1', 'u2']) {
      fireEvent.keyDown(menu, { key: 'ArrowDown' });
      fireEvent.change(menu, { target: { value } });
    }
    expect(screen.getByRole('heading', { level: 1 }).textContent).not.toMatch(/Recommended for you/);
    fireEvent.keyDown(menu, { key: 'Enter' });

    expect(await screen.findByRole('heading', { level: 1, name: 'Recommended for you, Alan' })).toBeTruthy();
    expect(api.requestsTo('recommendations/')).toEqual(['/Prod/recommendations/u2']);
  });
});
