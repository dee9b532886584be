import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApi } from '../test/fakeApi';
import { aws, sentEvents } from '../test/fakeAws';
import { item, session } from '../test/fixtures';
import { ActivityProvider, useActivity, useActivityActions, useSentEvents } from './ActivityContext';
import { ShopperProvider, useShopper } from './ShopperContext';

vi.mock('@aws-sdk/client-kinesis', async () => (await import('../test/fakeAws')).fakeKinesisModule());
vi.mock('@aws-sdk/credential-providers', async () => (await import('../test/fakeAws')).fakeCredentialProvidersModule());

afterEach(() => {
  aws.reset();
  Object.values(rendered).forEach((counter) => counter.mockClear());
});

/** Called by each probe as it renders, so the test can count renders. */
const rendered = { activity: vi.fn(), sent: vi.fn(), actions: vi.fn() };

/** Uses the activity, as the header and the product page do. */
function ActivityProbe() {
  const { sendEvent } = useActivity();
  rendered.activity();
  return (
    <button type="button" onClick={() => sendEvent('click', 'A1')}>
      View A1
    </button>
  );
}

/** Uses the actions only, as the product page's view event does. */
function ActionsProbe() {
  const { recordView, addToCart, sendEvent } = useActivityActions();
  rendered.actions();
  return (
    <>
      <button type="button" onClick={() => recordView(item('A2'))}>
        Record A2
      </button>
      <button type="button" onClick={() => addToCart(item('A2'))}>
        Cart A2
      </button>
      <button type="button" onClick={() => sendEvent('add-to-cart', 'A2')}>
        Send A2
      </button>
    </>
  );
}

function SessionStatus() {
  return <p>{`session ${useShopper().session.status}`}</p>;
}

/** Shows what useActivity holds, so the test sees the actions take effect. */
function ActivityState() {
  const { recentlyViewed, cart } = useActivity();
  return <p>{`viewed ${recentlyViewed.map((seen) => seen.asin).join()}; cart ${cart.length}`}</p>;
}

function SentEventsProbe() {
  const events = useSentEvents();
  rendered.sent();
  return (
    <ol aria-label="Sent">
      {events.map((event) => (
        <li key={event.at.getTime()}>{`${event.itemID} ${event.delivered === null ? 'sending' : event.delivered ? 'sent' : 'failed'}`}</li>
      ))}
    </ol>
  );
}

describe('ActivityProvider', () => {
  it('tells only the users of useSentEvents about each event sent and delivered', async () => {
    fakeApi({ session: { body: { ...session, AnonymousPoolId: 'us-west-2:activity', StreamName: 'clicks-activity' } } });
    const user = userEvent.setup();
    render(
      <ShopperProvider>
        <ActivityProvider>
          <SessionStatus />
          <ActivityProbe />
          <SentEventsProbe />
        </ActivityProvider>
      </ShopperProvider>,
    );
    await screen.findByText('session ready');
    const before = { activity: rendered.activity.mock.calls.length, sent: rendered.sent.mock.calls.length };

    await user.click(screen.getByRole('button', { name: 'View A1' }));
    expect(await screen.findByText('A1 sent')).toBeTruthy();
    expect(sentEvents('clicks-activity')).toEqual([{ itemID: 'A1', sessionID: expect.any(String), eventType: 'click' }]);

    expect(rendered.sent.mock.calls.length - before.sent).toBe(2); // sending, then sent
    expect(rendered.activity.mock.calls.length).toBe(before.activity); // neither re-rendered the activity's users
  });

  it("gives the same actions for the page's life: their users do not re-render when /session answers or the shopper acts", async () => {
    fakeApi({ session: { body: { ...session, AnonymousPoolId: 'us-west-2:actions', StreamName: 'clicks-actions' } } });
    window.localStorage.setItem('allstore.sessionId', 'session-a');
    const user = userEvent.setup();
    render(
      <ShopperProvider>
        <ActivityProvider>
          <SessionStatus />
          <ActionsProbe />
          <ActivityState />
        </ActivityProvider>
      </ShopperProvider>,
    );
    await screen.findByText('session ready');

    await user.click(screen.getByRole('button', { name: 'Record A2' }));
    await user.click(screen.getByRole('button', { name: 'Cart A2' }));
    await user.click(screen.getByRole('button', { name: 'Send A2' }));
    expect(await screen.findByText('viewed A2; cart 1')).toBeTruthy();
    await waitFor(() => expect(sentEvents('clicks-actions')).toHaveLength(1));
    expect(sentEvents('clicks-actions')[0]).toEqual({ itemID: 'A2', sessionID: 'session-a', eventType: 'add-to-cart' });
    expect(rendered.actions).toHaveBeenCalledTimes(1); // its first render only
  });

  it('sends an event made before /session answers once it has, instead of dropping it', async () => {
    const sessionBody = { ...session, AnonymousPoolId: 'us-west-2:early', StreamName: 'clicks-early' };
    let answerSession: () => void = () => undefined;
    const sessionAnswered = new Promise<void>((resolve) => {
      answerSession = resolve;
    });
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        await sessionAnswered;
        return new Response(JSON.stringify(sessionBody), { status: 200, headers: { 'Content-Type': 'application/json' } });
      }),
    );
    window.localStorage.setItem('allstore.sessionId', 'session-early');
    const user = userEvent.setup();
    render(
      <ShopperProvider>
        <ActivityProvider>
          <SessionStatus />
          <ActionsProbe />
          <SentEventsProbe />
        </ActivityProvider>
      </ShopperProvider>,
    );
    expect(screen.getByText('session loading')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Send A2' }));
    expect(await screen.findByText('A2 sending')).toBeTruthy();
    expect(sentEvents('clicks-early')).toEqual([]);

    answerSession();
    expect(await screen.findByText('A2 sent')).toBeTruthy();
    expect(sentEvents('clicks-early')).toEqual([{ itemID: 'A2', sessionID: 'session-early', eventType: 'add-to-cart' }]);
  });
});
