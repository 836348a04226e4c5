/**
 * The AWS side of Coalmine's ports: one adapter per service, each over the SDK v3 client it is
 * given. A handler builds only the clients its step uses, once at module scope (warm invocations
 * reuse their connections), so its bundle carries only those clients; tests hand the adapters
 * clients mocked with aws-sdk-client-mock.
 *
 * @example
 * const lambda = new LambdaClient(CLIENT_RETRY);
 * const shift = createShift({ router: lambdaTrafficRouter(lambda), clock: systemClock });
 */
import type { Clock } from '../core/ports.ts';

export { cloudWatchAlarms, cloudWatchBaseline, cloudWatchHistory, cloudWatchMetrics, cloudWatchVersionMinutes } from './cloudwatch.ts';
export { lambdaEventSourceMappings, lambdaFunctionInvoker, lambdaFunctionRegistry, lambdaTrafficRouter } from './lambda.ts';
export { queueInspector } from './queues.ts';
export { sqsQueues } from './sqs.ts';

/**
 * The SDK's own retries (standard mode: exponential backoff with jitter, 3 attempts in all) absorb a
 * brief throttle inside one invocation; what outlasts them reaches the state machine's Retry as a
 * ThrottledError or TransientServiceError. Every client a handler builds takes these settings.
 */
export const CLIENT_RETRY = { retryMode: 'standard', maxAttempts: 3 } as const;

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };
