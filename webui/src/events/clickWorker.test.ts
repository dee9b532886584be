// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { aws, sentEvents } from '../test/fakeAws';
import { session } from '../test/fixtures';
import { createPutHandler, type PutReply, type PutRequest } from './clickWorkerProtocol';

vi.mock('@aws-sdk/client-kinesis', async () => (await import('../test/fakeAws')).fakeKinesisModule());
vi.mock('@aws-sdk/credential-providers', async () => (await import('../test/fakeAws')).fakeCredentialProvidersModule());

const encode = (event: object) => new TextEncoder().encode(JSON.stringify(event));
const settings = { AnonymousPoolId: 'us-west-2:worker', Region: 'us-west-2' };

/**
 * A dedicated worker that runs clickEvents.worker.ts's handler in this process: messages are
 * structured-cloned both ways, as a real worker's are, and `fail()` is its script failing to load.
 */
class FakeWorker {
  static started: FakeWorker[] = [];
  /** false: the workers' script does not load, so no message is ever answered. */
  static scriptLoads = true;
  readonly requests: PutRequest[] = [];
  onmessage: ((event: { data: PutReply }) => void) | null = null;
  onerror: ((event: { message: string; preventDefault(): void }) => void) | null = null;
  terminated = false;
  private readonly handle = createPutHandler();

  constructor(
    readonly url: URL,
    readonly options: { type?: string; name?: string },
  ) {
    FakeWorker.started.push(this);
  }

  postMessage(message: PutRequest) {
    const request = structuredClone(message);
    this.requests.push(request);
    if (!FakeWorker.scriptLoads) return;
    void this.handle(request).then((reply) => this.onmessage?.({ data: structuredClone(reply) }));
  }

  fail(message: string) {
    this.onerror?.({ message, preventDefault: () => {} });
  }

  terminate() {
    this.terminated = true;
  }
}

beforeEach(() => {
  vi.resetModules(); // each test gets a page of its own: no worker started yet, no senders
  FakeWorker.started = [];
  FakeWorker.scriptLoads = true;
});

afterEach(() => {
  aws.reset();
  vi.unstubAllGlobals();
});

describe('the click events worker', () => {
  it('puts each record with one client per store configuration, and answers by request id', async () => {
    const handle = createPutHandler();
    const record = { StreamName: 'clicks-w', PartitionKey: 's1', Data: encode({ itemID: 'A1' }) };
    await expect(handle({ id: 7, settings, record })).resolves.toEqual({ id: 7, ok: true });
    await expect(handle({ id: 8, settings, record: { ...record, Data: encode({ itemID: 'A2' }) } })).resolves.toEqual({
      id: 8,
      ok: true,
    });
    await handle({ id: 9, settings: { ...settings, AnonymousPoolId: 'us-west-2:other' }, record });

    expect(aws.kinesisConfigs).toHaveLength(2);
    expect(sentEvents('clicks-w')).toEqual([{ itemID: 'A1' }, { itemID: 'A2' }, { itemID: 'A1' }]);
  });

  it("answers a failed put with the error's name and message (an Error does not cross to the page)", async () => {
    aws.failWith = Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
    const record = { StreamName: 'clicks-w', PartitionKey: 's1', Data: encode({}) };
    await expect(createPutHandler()({ id: 1, settings, record })).resolves.toEqual({
      id: 1,
      ok: false,
      name: 'ProvisionedThroughputExceededException',
      message: 'Rate exceeded',
    });
  });
});

describe('sendClickEvent with a worker', () => {
  it('starts one module worker when idle and sends the events through it, in order, without the user list', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const { sendClickEvent } = await import('./clickEvents');
    const store = { ...session, AnonymousPoolId: 'us-west-2:through-worker', StreamName: 'clicks-worker' };
    const sent = ['A1', 'A2', 'A3'].map((itemID) => sendClickEvent(store, { itemID, sessionID: 's1', eventType: 'click' }));

    await expect(Promise.all(sent)).resolves.toEqual([true, true, true]);
    expect(FakeWorker.started).toHaveLength(1);
    const [worker] = FakeWorker.started;
    expect(worker!.url.pathname).toMatch(/\/clickEvents\.worker\.ts$/);
    expect(worker!.options.type).toBe('module');
    expect(worker!.requests.map((request) => request.settings)).toEqual(
      Array(3).fill({ AnonymousPoolId: 'us-west-2:through-worker', Region: 'us-west-2', Endpoints: undefined }),
    );
    expect(sentEvents('clicks-worker')).toEqual([
      { itemID: 'A1', sessionID: 's1', eventType: 'click' },
      { itemID: 'A2', sessionID: 's1', eventType: 'click' },
      { itemID: 'A3', sessionID: 's1', eventType: 'click' },
    ]);
    expect(aws.kinesisConfigs).toHaveLength(1); // the worker's one client
  });

  it("reports the worker's failure to send", async () => {
    vi.stubGlobal('Worker', FakeWorker);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    aws.failWith = new Error('AccessDenied');
    const { sendClickEvent } = await import('./clickEvents');

    await expect(sendClickEvent(session, { itemID: 'A1', sessionID: 's1', eventType: 'click' })).resolves.toBe(false);
    const [, error] = warn.mock.calls[0]!;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('AccessDenied');
  });

  it('sends in the page once the worker fails to load, and starts no other worker', async () => {
    vi.stubGlobal('Worker', FakeWorker);
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    FakeWorker.scriptLoads = false;
    const { sendClickEvent } = await import('./clickEvents');
    const store = { ...session, StreamName: 'clicks-fallback' };
    const first = sendClickEvent(store, { itemID: 'A1', sessionID: 's1', eventType: 'click' });
    await vi.waitFor(() => expect(FakeWorker.started[0]?.requests).toHaveLength(1));
    const [worker] = FakeWorker.started;
    worker!.fail('Unexpected token export');

    await expect(first).resolves.toBe(false);
    expect(worker!.terminated).toBe(true);
    await expect(sendClickEvent(store, { itemID: 'A2', sessionID: 's1', eventType: 'click' })).resolves.toBe(true);
    expect(FakeWorker.started).toHaveLength(1);
    expect(sentEvents('clicks-fallback')).toEqual([{ itemID: 'A2', sessionID: 's1', eventType: 'click' }]);
  });
});
