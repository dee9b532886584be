import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fakeApi } from '../test/fakeApi';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

describe('user menu', () => {
  it('lists anonymous and the users from /session', async () => {
    fakeApi({ session: { body: session }, recommendations: { body: { results: [item('A1')] } } });
    renderApp('/');

    const menu = await screen.findByLabelText('Shopping as');
    await within(menu).findByRole('option', { name: 'Ada Lovelace' });
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

    const menu = await screen.findByLabelText('Shopping as');
    expect(await within(menu).findByRole('option', { name: 'Alan Turing' })).toBeTruthy();
    expect(screen.queryByText('Users unavailable')).toBeNull();
  });
});
