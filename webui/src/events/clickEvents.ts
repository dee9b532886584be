import type { StoreSession } from '../api/types';
import type { PutReply, PutRequest } from './clickWorkerProtocol';
import { type PutRecordInput, type PutRecordSender, type SenderSettings, senderKey } from './senderSettings';

/** What PostClickEvent reads from the Kinesis stream (issue 4); anonymous visitors send no userID. */
export interface ClickEvent {
  userID?: string;
  itemID: string;
  sessionID: string;
  eventType: string;
}

export const VIEW_EVENT_TYPE = 'click';
/** A distinct type, so a solution can weight it and a filter can leave out what is in the cart. */
export const ADD_TO_CART_EVENT_TYPE = 'add-to-cart';

/** One sender per store configuration: Cognito credentials are fetched once and cached. */
const senders = new Map<string, Promise<PutRecordSender>>();

/**
 * The longest the SDK waits for the page to be idle before it loads anyway (a page that is never
 * idle still sends its events). Browsers without requestIdleCallback load it on the next task.
 */
export const SDK_IDLE_TIMEOUT_MS = 3_000;

/** The events not yet sent (or failed), one after another, so they reach the stream in the order they happened. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Sends a click event to the store's Kinesis stream with the Cognito pool's unauthenticated
 * identity, against the endpoints /session gives (the local store's, or AWS's when absent).
 * Events are sent in the order of the calls, each once the previous one is through. The AWS SDK
 * runs in a web worker (clickEvents.worker.ts), started when the page is first idle, so neither
 * loading it nor signing requests is a task on the page's main thread; where there are no
 * workers (or the worker fails) it is loaded into the page instead, also when idle. Returns
 * whether the event was sent: a failure is logged and never reaches the page.
 */
export function sendClickEvent(session: StoreSession, event: ClickEvent): Promise<boolean> {
  const sent = queue.then(() => send(session, event));
  queue = sent;
  return sent;
}

async function send(session: StoreSession, event: ClickEvent): Promise<boolean> {
  try {
    const sender = await senderFor(settingsOf(session));
    await sender.put({
      StreamName: session.StreamName,
      PartitionKey: event.userID ?? event.sessionID,
      Data: new TextEncoder().encode(JSON.stringify(event)),
    });
    return true;
  } catch (error) {
    console.warn('AllStore: click event not sent', error);
    return false;
  }
}

/** Only what a client needs (not /session's user list): it is copied to the worker with each event. */
function settingsOf(session: StoreSession): SenderSettings {
  return { AnonymousPoolId: session.AnonymousPoolId, Region: session.Region, Endpoints: session.Endpoints };
}

function senderFor(settings: SenderSettings): Promise<PutRecordSender> {
  const key = senderKey(settings);
  let sender = senders.get(key);
  if (!sender) {
    sender = createSender(settings);
    // A failed set-up (e.g. the SDK chunk did not load) is retried on the next event.
    sender.catch(() => senders.delete(key));
    senders.set(key, sender);
  }
  return sender;
}

/** Resolves when the browser has an idle moment (or after SDK_IDLE_TIMEOUT_MS at the latest). */
function whenIdle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof globalThis.requestIdleCallback === 'function') {
      globalThis.requestIdleCallback(() => resolve(), { timeout: SDK_IDLE_TIMEOUT_MS });
    } else {
      setTimeout(resolve, 0);
    }
  });
}

/**
 * Once the page is idle (its own requests and renders go first): a sender through the worker, or,
 * without one, the SDK in the page, its modules evaluated in one task and its clients made in another.
 */
async function createSender(settings: SenderSettings): Promise<PutRecordSender> {
  await whenIdle();
  const channel = workerChannel();
  if (channel) return { put: (record) => channel.put(settings, record) };
  const { createKinesisSender } = await import('./kinesisSender');
  await whenIdle();
  return createKinesisSender(settings);
}

/** The page's one click events worker (null: none yet); after it fails, the SDK runs in the page. */
let channel: WorkerChannel | null = null;
let workerFailed = false;

function workerChannel(): WorkerChannel | null {
  if (channel || workerFailed || typeof Worker !== 'function') return channel;
  try {
    // This exact form is what Vite bundles as a worker of its own (with the SDK in it).
    const worker = new Worker(new URL('./clickEvents.worker.ts', import.meta.url), {
      type: 'module',
      name: 'allstore-click-events',
    });
    channel = new WorkerChannel(worker, () => {
      // Its senders go too, so the next event makes one in the page.
      channel = null;
      workerFailed = true;
      senders.clear();
    });
  } catch {
    workerFailed = true;
  }
  return channel;
}

/** Requests to the worker and its answers, matched by id. */
class WorkerChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(
    private readonly worker: Worker,
    private readonly onFailure: () => void,
  ) {
    worker.onmessage = (event: MessageEvent<PutReply>) => {
      const reply = event.data;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.ok) {
        waiting.resolve();
      } else {
        waiting.reject(Object.assign(new Error(reply.message), { name: reply.name }));
      }
    };
    // The worker's script did not load or threw (e.g. module workers unsupported).
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const error = new Error(`the click events worker failed: ${event.message || 'it did not load'}`);
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
      this.worker.terminate();
      this.onFailure();
    };
  }

  put(settings: SenderSettings, record: PutRecordInput): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: PutRequest = { id, settings, record };
      this.worker.postMessage(request);
    });
  }
}
