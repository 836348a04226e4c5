/**
 * Clean up after a stopped execution: receives the EventBridge "Step Functions Execution Status Change"
 * event (ABORTED, TIMED_OUT, FAILED) and restores the stable version if that execution still owns the alias.
 * Parse, wire, map: the work is in src/core/steps/cleanup.ts. Lambda's client only.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CLIENT_RETRY, lambdaFunctionRegistry, lambdaTrafficRouter } from '../../src/aws/index.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { createCleanup } from '../../src/core/steps/index.ts';

const lambda = new LambdaClient(CLIENT_RETRY);
const cleanup = createCleanup({ router: lambdaTrafficRouter(lambda), functions: lambdaFunctionRegistry(lambda) });

export const handler = taskHandler('cleanup', cleanup);
