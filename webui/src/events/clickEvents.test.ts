// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoreSession } from '../api/types';
import { aws, sentEvents } from '../test/fakeAws';
import { session } from '../test/fixtures';
import { SDK_IDLE_TIMEOUT_MS, sendClickEvent } from './clickEvents';

vi.mock('@aws-sdk/client-kinesis', async () => (await import('../test/fakeAws')).fakeKinesisModule());
vi.mock('@aws-sdk/credential-providers', async () => (await import('../test/fakeAws')).fakeCredentialProvidersModule());

afterEach(() => {
  aws.reset();
  vi.unstubAllGlobals();
});

/** Each test uses its own pool id, so it gets its own (uncached) client. */
function sessionWith(poolId: string, overrides: Partial<StoreSession> = {}): StoreSession {
  return { ...session, AnonymousPoolId: poolId, ...overrides };
}

describe('sendClickEvent', () => {
  it("puts the event on the session's stream, keyed by user, with the pool's unauthenticated identity", async () => {
    const event = { userID: 'u1', itemID: 'A1', sessionID: 's1', eventType: 'click' };
    await expect(sendClickEvent(sessionWith('us-west-2:aws'), event)).resolves.toBe(true);

    expect(aws.putRecords).toHaveLength(1);
    expect(aws.putRecords[0]).toMatchObject({ StreamName: 'allstore-clicks', PartitionKey: 'u1' });
    expect(sentEvents()).toEqual([event]);
    expect(aws.cognitoOptions).toEqual([
      { identityPoolId: 'us-west-2:aws', clientConfig: { region: 'us-west-2', endpoint: undefined } },
    ]);
    expect(aws.kinesisConfigs[0]).toMatchObject({ region: 'us-west-2', endpoint: undefined });
  });

  it('uses the local endpoints when /session gives them', async () => {
    const local = sessionWith('us-east-1:local', {
      Region: 'us-east-1',
      Endpoints: { kinesis: 'http://127.0.0.1:4566', 'cognito-identity': 'http://127.0.0.1:4567' },
    });
    await sendClickEvent(local, { itemID: 'A1', sessionID: 's9', eventType: 'click' });

    expect(aws.cognitoOptions[0]).toEqual({
      identityPoolId: 'us-east-1:local',
      clientConfig: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4567' },
    });
    expect(aws.kinesisConfigs[0]).toMatchObject({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' });
    expect(aws.putRecords[0]!.PartitionKey).toBe('s9');
  });

  it('reuses one client for a store', async () => {
    const store = sessionWith('us-west-2:reuse');
    await sendClickEvent(store, { itemID: 'A1', sessionID: 's1', eventType: 'click' });
    await sendClickEvent(store, { itemID: 'A2', sessionID: 's1', eventType: 'click' });

    expect(aws.kinesisConfigs).toHaveLength(1);
    expect(aws.putRecords).toHaveLength(2);
  });

  it('reports a failure without throwing', async () => {
    aws.failWith = new Error('AccessDenied');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});

    await expect(
      sendClickEvent(sessionWith('us-west-2:fail'), { itemID: 'A1', sessionID: 's1', eventType: 'click' }),
    ).resolves.toBe(false);
    expect(warn).toHaveBeenCalledWith('AllStore: click event not sent', aws.failWith);
  });

  it('loads the SDK only once the page is idle, then sends the events asked for before, in order', async () => {
    const idle: { callback: () => void; options?: { timeout?: number } }[] = [];
    vi.stubGlobal('requestIdleCallback', (callback: () => void, options?: { timeout?: number }) => idle.push({ callback, options }));
    aws.putDelaysMs.push(30); // the first PutRecord is the slowest: the others must still follow it
    const store = sessionWith('us-west-2:idle', { StreamName: 'clicks-idle' });
    const sent = ['A1', 'A2', 'A3'].map((itemID) => sendClickEvent(store, { itemID, sessionID: 's1', eventType: 'click' }));
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(aws.kinesisConfigs).toEqual([]); // no client (and no credentials) before the page is idle
    expect(aws.putRecords).toEqual([]);
    expect(idle).toHaveLength(1); // one wait, for the one SDK load (not one per event)
    expect(idle[0]!.options).toEqual({ timeout: SDK_IDLE_TIMEOUT_MS });

    idle[0]!.callback(); // the SDK loads...
    await vi.waitFor(() => expect(idle).toHaveLength(2));
    expect(aws.kinesisConfigs).toEqual([]);
    idle[1]!.callback(); // ...and its clients are made in an idle moment of their own
    await expect(Promise.all(sent)).resolves.toEqual([true, true, true]);
    expect(sentEvents('clicks-idle')).toEqual([
      { itemID: 'A1', sessionID: 's1', eventType: 'click' },
      { itemID: 'A2', sessionID: 's1', eventType: 'click' },
      { itemID: 'A3', sessionID: 's1', eventType: 'click' },
    ]);
  });

  it('keeps sending after a failed event, in order', async () => {
    const store = sessionWith('us-west-2:after-failure', { StreamName: 'clicks-after-failure' });
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    aws.failWith = new Error('ProvisionedThroughputExceededException');
    const failed = sendClickEvent(store, { itemID: 'A1', sessionID: 's1', eventType: 'click' });
    await expect(failed).resolves.toBe(false);
    aws.failWith = null;
    const later = ['A2', 'A3'].map((itemID) => sendClickEvent(store, { itemID, sessionID: 's1', eventType: 'click' }));

    await expect(Promise.all(later)).resolves.toEqual([true, true]);
    expect(sentEvents('clicks-after-failure').map((event) => (event as { itemID: string }).itemID)).toEqual(['A2', 'A3']);
  });
});
