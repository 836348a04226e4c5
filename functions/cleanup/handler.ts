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
import { CLIENT_RETRY, clientIn, HOME_REGION } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { stepFunctionsExecutionRegistry } from '../../src/aws/stepfunctions.ts';
import { perRegion } from '../../src/core/regions.ts';
import { createCleanup } from '../../src/core/steps/index.ts';

// Step Functions in Coalmine's region; Lambda and SQS in the region of the execution's function.
const cleanup = createCleanup({
  executions: stepFunctionsExecutionRegistry(new SFNClient(CLIENT_RETRY)),
  in: perRegion((region) => {
    const lambda = new LambdaClient(clientIn(region));
    return { router: lambdaTrafficRouter(lambda), queues: queueInspector(lambdaEventSourceMappings(lambda), sqsQueues(new SQSClient(clientIn(region)))) };
  }, HOME_REGION),
});

export const handler = taskHandler('cleanup', cleanup);
