/**
 * The click events' web worker: the AWS SDK is fetched, evaluated and runs here (Cognito
 * credentials, SigV4 signing, PutRecord), so none of it is a task on the page's main thread.
 */
import { createPutHandler, type PutReply, type PutRequest } from './clickWorkerProtocol';

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<PutRequest>) => void) | null;
  postMessage(reply: PutReply): void;
};
const handle = createPutHandler();

scope.onmessage = (event) => {
  void handle(event.data).then((reply) => scope.postMessage(reply));
};
