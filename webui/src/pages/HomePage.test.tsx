import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SESSION_KEY, USER_KEY } from '../session/persistence';
import { chooseUser, userPicker } from '../test/chooseUser';
import { fakeApi } from '../test/fakeApi';
import { item, session } from '../test/fixtures';
import { renderApp } from '../test/renderApp';

describe('home page', () => {
  it('shows popular items for an anonymous visitor, asked for with their session id', async () => {
    window.localStorage.setItem(SESSION_KEY, 'session-42');
    const api = fakeApi({
      session: { body: session },
      recommendations: { body: { results: [item('A1', { title: 'Trail Runner' }), item('A2')] } },
    });
    renderApp('/');

    expect(await screen.findByRole('heading', { level: 1, name: 'Popular right now' })).toBeTruthy();
    const list = await screen.findByRole('list', { name: 'Popular right now' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(within(list).getByRole('link', { name: /Trail Runner/ }).getAttribute('href')).toBe('/product/A1');
    expect(api.requestsTo('recommendations')).toEqual(['/Prod/recommendations?sessionId=session-42']);
  });

  it("shows the API's warning as a notice with its line breaks kept", async () => {
    fakeApi({
      session: { body: session },
      recommendations: {
        body: {
          results: [item('A1')],
          warning: 'Recommendations are not enabled yet.\nDeploy a campaign, then set CAMPAIGN_ARN.',
        },
      },
    });
    renderApp('/');

    const notice = await screen.findByRole('note', { name: 'Notice' });
    expect(notice.textContent).toBe('Recommendations are not enabled yet.Deploy a campaign, then set CAMPAIGN_ARN.');
    expect(notice.querySelectorAll('br')).toHaveLength(1);
  });

  it("shows the chosen user's recommendations and remembers the choice", async () => {
    const api = fakeApi({
      session: { body: session },
      recommendations: { body: { results: [item('P1')] } },
      'recommendations/u2': { body: { results: [item('R1', { title: 'Chess Set' })] } },
    });
    const user = userEvent.setup();
    renderApp('/');
    await screen.findByRole('heading', { name: 'Popular right now' });

    await chooseUser(user, 'Alan Turing');

    expect(await screen.findByRole('heading', { level: 1, name: 'Recommended for you, Alan' })).toBeTruthy();
    expect(await screen.findByRole('link', { name: /Chess Set/ })).toBeTruthy();
    expect(api.requestsTo('recommendations/')).toEqual(['/Prod/recommendations/u2']);
    expect(window.localStorage.getItem(USER_KEY)).toBe('u2');
  });

  it('restores the user and session id after a reload', async () => {
    window.localStorage.setItem(USER_KEY, 'u1');
    window.localStorage.setItem(SESSION_KEY, 'session-7');
    const api = fakeApi({ session: { body: session }, 'recommendations/u1': { body: { results: [item('R1')] } } });
    renderApp('/');

    expect(await screen.findByRole('heading', { name: 'Recommended for you, Ada' })).toBeTruthy();
    expect(userPicker().value).toBe('Ada Lovelace');
    expect(api.requestsTo('recommendations')).toEqual(['/Prod/recommendations/u1']);
    expect(window.localStorage.getItem(SESSION_KEY)).toBe('session-7');
  });

  it('creates and stores a session id on the first visit', async () => {
    const api = fakeApi({ session: { body: session }, recommendations: { body: { results: [] } } });
    renderApp('/');

    expect(await screen.findByText(/No recommendations yet/)).toBeTruthy();
    const sessionId = window.localStorage.getItem(SESSION_KEY);
    expect(sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(api.requestsTo('recommendations')).toEqual([`/Prod/recommendations?sessionId=${sessionId}`]);
  });

  it('treats a remembered user the store no longer has as anonymous', async () => {
    window.localStorage.setItem(USER_KEY, 'gone');
    const api = fakeApi({ session: { body: session }, recommendations: { body: { results: [item('P1')] } } });
    renderApp('/');

    expect(await screen.findByRole('heading', { name: 'Popular right now' })).toBeTruthy();
    await waitFor(() => expect(api.requestsTo('recommendations?')).toHaveLength(1));
    expect(userPicker().value).toBe('anonymous');
  });

  it('shows an error with a Retry that loads the recommendations again', async () => {
    fakeApi({
      session: { body: session },
      recommendations: (call) =>
        call === 1
          ? { status: 503, body: { message: 'Personalize is unavailable' } }
          : { body: { results: [item('A1', { title: 'Kayak Paddle' })] } },
    });
    const user = userEvent.setup();
    renderApp('/');

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Personalize is unavailable');
    await user.click(within(alert).getByRole('button', { name: 'Retry' }));

    expect(await screen.findByRole('link', { name: /Kayak Paddle/ })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('shows loading skeletons until the answer arrives', async () => {
    fakeApi({ session: { body: session }, recommendations: { body: { results: [item('A1')] } } });
    renderApp('/');

    expect(screen.getByRole('status').getAttribute('aria-busy')).toBe('true');
    await screen.findByRole('list', { name: 'Popular right now' });
    expect(screen.queryByRole('status')).toBeNull();
  });
});

describe('outage', () => {
  it('shows one banner for every section that cannot load, and one Retry for all', async () => {
    window.localStorage.setItem('allstore.recentlyViewed', JSON.stringify({ 'session:s-out': [item('V1')] }));
    window.localStorage.setItem(SESSION_KEY, 's-out');
    let down = true;
    fakeApi({
      session: { body: session },
      recommendations: () => (down ? { status: 502, body: { message: 'Bad gateway' } } : { body: { results: [item('A1', { title: 'Kite' })] } }),
      'recommendationsitem/V1': () =>
        down ? { status: 503, body: { message: 'Bad gateway' } } : { body: { results: [item('S1', { title: 'Sled' })] } },
    });
    const user = userEvent.setup();
    renderApp('/');

    const banner = await screen.findByRole('alert');
    await waitFor(() => expect(screen.getAllByText(/Not available right now/)).toHaveLength(2));
    expect(screen.getAllByRole('alert')).toHaveLength(1);
    expect(within(banner).getByText('Bad gateway')).toBeTruthy();
    down = false;
    await user.click(within(banner).getByRole('button', { name: 'Retry' }));

    expect(await screen.findByRole('link', { name: /Kite/ })).toBeTruthy();
    expect(await screen.findByRole('link', { name: /Sled/ })).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('keeps a request-specific error (4xx) in its own section', async () => {
    fakeApi({ session: { body: session }, recommendations: { status: 400, body: { message: 'sessionId is too long' } } });
    renderApp('/');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load “Popular right now”.');
    expect(within(alert).getByRole('button', { name: 'Retry' })).toBeTruthy();
  });
});
