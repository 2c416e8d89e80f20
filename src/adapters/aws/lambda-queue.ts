import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { JobQueue } from '../../ports.js';

/** Hands a job to the worker Lambda without waiting for it (InvocationType Event). */
export class LambdaQueue implements JobQueue {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async enqueue(job: unknown): Promise<void> {
    const out = await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(job)),
      }),
    );
    if (out.StatusCode !== 202) throw new Error(`worker invoke answered ${out.StatusCode}`);
  }
}
