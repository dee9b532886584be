import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeApi } from '../test/fakeApi';
import { aws, sentEvents } from '../test/fakeAws';
import { session } from '../test/fixtures';
import { ActivityProvider, useActivity, useSentEvents } from './ActivityContext';
import { ShopperProvider } from './ShopperContext';

vi.mock('@aws-sdk/client-kinesis', async () => (await import('../test/fakeAws')).fakeKinesisModule());
vi.mock('@aws-sdk/credential-providers', async () => (await import('../test/fakeAws')).fakeCredentialProvidersModule());

afterEach(() => aws.reset());

/** Called by each probe as it renders, so the test can count renders. */
const rendered = { activity: vi.fn(), sent: vi.fn() };

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
          <ActivityProbe />
          <SentEventsProbe />
        </ActivityProvider>
      </ShopperProvider>,
    );
    // Once /session has answered, sendEvent changes (it needs the stream): wait for that render.
    await waitFor(() => expect(rendered.activity.mock.calls.length).toBeGreaterThanOrEqual(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const before = { activity: rendered.activity.mock.calls.length, sent: rendered.sent.mock.calls.length };

    await user.click(screen.getByRole('button', { name: 'View A1' }));
    expect(await screen.findByText('A1 sent')).toBeTruthy();
    expect(sentEvents('clicks-activity')).toEqual([{ itemID: 'A1', sessionID: expect.any(String), eventType: 'click' }]);

    expect(rendered.sent.mock.calls.length - before.sent).toBe(2); // sending, then sent
    expect(rendered.activity.mock.calls.length).toBe(before.activity); // neither re-rendered the activity's users
  });
});
