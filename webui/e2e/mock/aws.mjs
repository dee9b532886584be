import { randomUUID } from 'node:crypto';

/**
 * The two AWS APIs the browser calls, as the local store exposes them on their own port: Cognito
 * Identity (GetId, GetCredentialsForIdentity) and Kinesis (PutRecord), both AWS JSON 1.1 with
 * CORS. Records put on the stream are decoded and handed to `onRecord`.
 */
export function handleAwsRequest(request, body, response, onRecord) {
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': request.headers['access-control-request-headers'] ?? '*',
    'Access-Control-Expose-Headers': 'x-amzn-RequestId, x-amzn-ErrorType, Date',
  };
  if (request.method === 'OPTIONS') {
    response.writeHead(204, cors).end();
    return;
  }
  const target = String(request.headers['x-amz-target'] ?? '');
  const answer = (status, payload) =>
    response
      .writeHead(status, { ...cors, 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': randomUUID() })
      .end(JSON.stringify(payload));
  let input;
  try {
    input = JSON.parse(body || '{}');
  } catch {
    answer(400, { __type: 'SerializationException', message: 'Body is not JSON' });
    return;
  }
  switch (target) {
    case 'AWSCognitoIdentityService.GetId':
      answer(200, { IdentityId: `${input.IdentityPoolId}:${randomUUID()}` });
      return;
    case 'AWSCognitoIdentityService.GetCredentialsForIdentity':
      answer(200, {
        IdentityId: input.IdentityId,
        Credentials: {
          AccessKeyId: 'ASIAMOCKSTORE',
          SecretKey: 'mock-secret',
          SessionToken: 'mock-session-token',
          Expiration: Math.floor(Date.now() / 1000) + 3600,
        },
      });
      return;
    case 'Kinesis_20131202.PutRecord': {
      if (!String(request.headers.authorization ?? '').includes('Credential=ASIAMOCKSTORE/')) {
        answer(400, { __type: 'UnrecognizedClientException', message: 'Not signed with the Cognito credentials' });
        return;
      }
      const data = JSON.parse(Buffer.from(input.Data, 'base64').toString('utf8'));
      onRecord({ streamName: input.StreamName, partitionKey: input.PartitionKey, data });
      answer(200, { ShardId: 'shardId-000000000000', SequenceNumber: String(Date.now()) });
      return;
    }
    default:
      answer(400, { __type: 'UnknownOperationException', message: `Unknown operation ${target}` });
  }
}
