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
 * Sends a click event to the store's Kinesis stream with the Cognito pool's unauthenticated
 * identity, against the endpoints /session gives (the local store's, or AWS's when absent).
 * Returns whether it was sent: a failure is logged and never reaches the page.
 */
export async function sendClickEvent(session: StoreSession, event: ClickEvent): Promise<boolean> {
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
    // A failed set-up (e.g. the SDK chunk did not load) is retried on the next view.
    sender.catch(() => senders.delete(key));
    senders.set(key, sender);
  }
  return sender;
}

/** The AWS SDK is loaded on first use, so it never delays the first paint of the store. */
async function createSender(session: StoreSession): Promise<PutRecordSender> {
  const [{ KinesisClient, PutRecordCommand }, { fromCognitoIdentityPool }] = await Promise.all([
    import('@aws-sdk/client-kinesis'),
    import('@aws-sdk/credential-providers'),
  ]);
  const endpoints = session.Endpoints ?? {};
  const credentials = fromCognitoIdentityPool({
    identityPoolId: session.AnonymousPoolId,
    clientConfig: { region: session.Region, endpoint: endpoints['cognito-identity'] },
  });
  const client = new KinesisClient({ region: session.Region, endpoint: endpoints.kinesis, credentials });
  return { put: (record) => client.send(new PutRecordCommand(record)) };
}
