/**
 * Stand-ins for the AWS SDK modules the click sender loads: they record the client configuration
 * and every PutRecord input. Test files mock the modules with these factories:
 *   vi.mock('@aws-sdk/client-kinesis', async () => (await import('../test/fakeAws')).fakeKinesisModule());
 */
export const aws = {
  kinesisConfigs: [] as Record<string, unknown>[],
  cognitoOptions: [] as Record<string, unknown>[],
  putRecords: [] as { StreamName: string; PartitionKey: string; Data: Uint8Array }[],
  failWith: null as Error | null,
  /** How long each coming PutRecord call takes (ms), first call first; the rest answer at once. */
  putDelaysMs: [] as number[],
  reset() {
    this.kinesisConfigs.length = 0;
    this.cognitoOptions.length = 0;
    this.putRecords.length = 0;
    this.failWith = null;
    this.putDelaysMs.length = 0;
  },
};

export function fakeKinesisModule() {
  class PutRecordCommand {
    constructor(readonly input: { StreamName: string; PartitionKey: string; Data: Uint8Array }) {}
  }
  class KinesisClient {
    constructor(config: Record<string, unknown>) {
      aws.kinesisConfigs.push(config);
    }
    async send(command: PutRecordCommand) {
      const delay = aws.putDelaysMs.shift();
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      if (aws.failWith) throw aws.failWith;
      aws.putRecords.push(command.input);
      return { ShardId: 'shardId-000000000000', SequenceNumber: '1' };
    }
  }
  return { KinesisClient, PutRecordCommand };
}

export function fakeCredentialProvidersModule() {
  return {
    fromCognitoIdentityPool: (options: Record<string, unknown>) => {
      aws.cognitoOptions.push(options);
      return async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret', sessionToken: 'token' });
    },
  };
}

/**
 * The click events sent so far to `streamName` (or to any stream), decoded from their record data.
 * Tests name their own stream, so a late event from an earlier test is never counted.
 */
export function sentEvents(streamName?: string): unknown[] {
  return aws.putRecords
    .filter((record) => streamName === undefined || record.StreamName === streamName)
    .map((record) => JSON.parse(new TextDecoder().decode(record.Data)));
}
