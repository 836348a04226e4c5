/**
 * The AWS side of Coalmine's ports: one SDK v3 client per service, composed into `Ports`.
 * Handlers create the clients once, at module scope, so warm invocations reuse their connections.
 *
 * @example
 * const steps = createSteps(awsPorts(), { judge });
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Ports } from '../core/ports.ts';
import { cloudWatchMetrics } from './cloudwatch.ts';
import { lambdaEventSourceMappings, lambdaFunctionRegistry, lambdaTrafficRouter } from './lambda.ts';
import { queueInspector } from './queues.ts';
import { sqsQueues } from './sqs.ts';

export interface AwsClients {
  lambda: LambdaClient;
  sqs: SQSClient;
  cloudwatch: CloudWatchClient;
}

/**
 * The SDK's own retries (standard mode: exponential backoff with jitter, 3 attempts in all) absorb a
 * brief throttle inside one invocation; what outlasts them reaches the state machine's Retry as a
 * ThrottledError or TransientServiceError.
 */
export const CLIENT_RETRY = { retryMode: 'standard', maxAttempts: 3 } as const;

/** One client per service, with Coalmine's retry settings. Region and credentials come from the environment. */
export function createClients(): AwsClients {
  return {
    lambda: new LambdaClient({ ...CLIENT_RETRY }),
    sqs: new SQSClient({ ...CLIENT_RETRY }),
    cloudwatch: new CloudWatchClient({ ...CLIENT_RETRY }),
  };
}

/** Composes the adapters into Ports. Pass clients to share them (handlers) or to mock them (tests). */
export function awsPorts(clients: AwsClients = createClients()): Ports {
  return {
    router: lambdaTrafficRouter(clients.lambda),
    functions: lambdaFunctionRegistry(clients.lambda),
    metrics: cloudWatchMetrics(clients.cloudwatch),
    queues: queueInspector(lambdaEventSourceMappings(clients.lambda), sqsQueues(clients.sqs)),
    clock: { now: () => new Date() },
  };
}
