import type { StoreSession } from '../api/types';

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

interface PutRecordSender {
  put(record: { StreamName: string; PartitionKey: string; Data: Uint8Array }): Promise<unknown>;
}

/** One Kinesis client per store configuration: Cognito credentials are fetched once and cached. */
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
 * Events are sent in the order of the calls, each once the previous one is through: the first
 * waits for the AWS SDK, which loads when the page is idle, so it never competes with the page's
 * first render. Returns whether it was sent: a failure is logged and never reaches the page.
 */
export function sendClickEvent(session: StoreSession, event: ClickEvent): Promise<boolean> {
  const sent = queue.then(() => send(session, event));
  queue = sent;
  return sent;
}

async function send(session: StoreSession, event: ClickEvent): Promise<boolean> {
  try {
    const sender = await senderFor(session);
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

function senderFor(session: StoreSession): Promise<PutRecordSender> {
  const key = JSON.stringify([session.AnonymousPoolId, session.Region, session.Endpoints ?? {}]);
  let sender = senders.get(key);
  if (!sender) {
    sender = createSender(session);
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

/** The AWS SDK is loaded on first use, once the page is idle, so it never delays the store's first paint. */
async function createSender(session: StoreSession): Promise<PutRecordSender> {
  await whenIdle();
  const [{ KinesisClient, PutRecordCommand }, { fromCognitoIdentityPool }] = await Promise.all([
    import('@aws-sdk/client-kinesis'),
    import('@aws-sdk/credential-providers'),
  ]);
  // Evaluating the SDK's modules is one task; constructing its clients is another, after a pause.
  await whenIdle();
  const endpoints = session.Endpoints ?? {};
  const credentials = fromCognitoIdentityPool({
    identityPoolId: session.AnonymousPoolId,
    clientConfig: { region: session.Region, endpoint: endpoints['cognito-identity'] },
  });
  const client = new KinesisClient({ region: session.Region, endpoint: endpoints.kinesis, credentials });
  return { put: (record) => client.send(new PutRecordCommand(record)) };
}
