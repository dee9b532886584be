import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import type { PutRecordSender, SenderSettings } from './senderSettings';

/**
 * A Kinesis client signing with the pool's unauthenticated Cognito identity (its credentials are
 * fetched on the first put and cached), against the endpoints /session gives (AWS's when absent).
 * The AWS SDK is imported here only: this module runs in the click events' worker
 * (clickEvents.worker.ts), or is loaded on first use where there are no workers.
 */
export function createKinesisSender(settings: SenderSettings): PutRecordSender {
  const endpoints = settings.Endpoints ?? {};
  const credentials = fromCognitoIdentityPool({
    identityPoolId: settings.AnonymousPoolId,
    clientConfig: { region: settings.Region, endpoint: endpoints['cognito-identity'] },
  });
  const client = new KinesisClient({ region: settings.Region, endpoint: endpoints.kinesis, credentials });
  return { put: (record) => client.send(new PutRecordCommand(record)) };
}
