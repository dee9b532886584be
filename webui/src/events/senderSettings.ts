import type { StoreSession } from '../api/types';

/** What a Kinesis sender needs of /session: the identity pool, the region and the local endpoints, if any. */
export type SenderSettings = Pick<StoreSession, 'AnonymousPoolId' | 'Region' | 'Endpoints'>;

export interface PutRecordInput {
  StreamName: string;
  PartitionKey: string;
  Data: Uint8Array;
}

export interface PutRecordSender {
  put(record: PutRecordInput): Promise<unknown>;
}

/** One sender per store configuration, so Cognito credentials are fetched once and reused. */
export function senderKey(settings: SenderSettings): string {
  return JSON.stringify([settings.AnonymousPoolId, settings.Region, settings.Endpoints ?? {}]);
}
