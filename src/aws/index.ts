/**
 * The AWS side of Coalmine's ports: one adapter per service, each over the SDK v3 client it is
 * given; tests hand the adapters clients mocked with aws-sdk-client-mock. A handler builds only the
 * clients its step uses, once at module scope (warm invocations reuse their connections), and
 * imports each adapter from its service's module (./lambda.ts, ./cloudwatch.ts, ./sqs.ts, …) and the
 * rest from ./wiring.ts, not from here: the SDK is the Lambda runtime's, so a bundle loads every
 * client that a module it includes imports, and this door includes them all.
 *
 * @example
 * const lambda = new LambdaClient(CLIENT_RETRY);
 * const shift = createShift({ router: lambdaTrafficRouter(lambda), clock: systemClock });
 */
export { cloudWatchAlarms, cloudWatchBaseline, cloudWatchHistory, cloudWatchMetrics, cloudWatchVersionMinutes } from './cloudwatch.ts';
export { lambdaEventSourceMappings, lambdaFunctionInvoker, lambdaFunctionRegistry, lambdaTrafficRouter } from './lambda.ts';
export { queueInspector } from './queues.ts';
export { sqsQueues } from './sqs.ts';
export { CLIENT_RETRY, clientIn, HOME_REGION, systemClock } from './wiring.ts';
