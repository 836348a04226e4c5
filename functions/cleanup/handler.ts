/**
 * Clean up after a stopped execution: receives the EventBridge "Step Functions Execution Status Change"
 * event (ABORTED, TIMED_OUT, FAILED) and restores the stable version if that execution still owns the alias.
 * Parse, wire, map: the work is in src/core/steps/cleanup.ts. Lambda's client, Step Functions' (is
 * the execution really over, and what was its input) and SQS's (where a stopped SQS canary's dead
 * letters are): no other bundle carries the Step Functions client.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { lambdaEventSourceMappings, lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { queueInspector } from '../../src/aws/queues.ts';
import { sqsQueues } from '../../src/aws/sqs.ts';
import { CLIENT_RETRY } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { stepFunctionsExecutionRegistry } from '../../src/aws/stepfunctions.ts';
import { createCleanup } from '../../src/core/steps/index.ts';

const lambda = new LambdaClient(CLIENT_RETRY);
const cleanup = createCleanup({
  router: lambdaTrafficRouter(lambda),
  executions: stepFunctionsExecutionRegistry(new SFNClient(CLIENT_RETRY)),
  queues: queueInspector(lambdaEventSourceMappings(lambda), sqsQueues(new SQSClient(CLIENT_RETRY))),
});

export const handler = taskHandler('cleanup', cleanup);
