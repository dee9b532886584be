import { createKinesisSender } from './kinesisSender';
import { type PutRecordInput, type PutRecordSender, type SenderSettings, senderKey } from './senderSettings';

/** What the page asks the click events' worker: put one record with the store's settings. */
export interface PutRequest {
  id: number;
  settings: SenderSettings;
  record: PutRecordInput;
}

/** The worker's answer to request `id`: sent, or the error's name and message. */
export type PutReply = { id: number; ok: true } | { id: number; ok: false; name: string; message: string };

/**
 * The worker's side: answers each request once its PutRecord call is through, with one Kinesis
 * client per store configuration (made on its first request). `create` is the SDK's sender (tests
 * give their own).
 */
export function createPutHandler(create: (settings: SenderSettings) => PutRecordSender = createKinesisSender) {
  const senders = new Map<string, PutRecordSender>();
  return async function handle({ id, settings, record }: PutRequest): Promise<PutReply> {
    try {
      const key = senderKey(settings);
      let sender = senders.get(key);
      if (!sender) {
        sender = create(settings);
        senders.set(key, sender);
      }
      await sender.put(record);
      return { id, ok: true };
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      return { id, ok: false, name, message };
    }
  };
}
