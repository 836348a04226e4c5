/**
 * Plan the canary: validates the request (from the CLI or a raw EventBridge event), reads the baseline
 * and the alias' hourly history, forecasts what the canary can prove, and takes the alias.
 * Parse, wire, map: the work is in src/core/steps/plan.ts. Lambda (the function, its alias and its
 * event source mappings), CloudWatch (the baseline) and SQS (the queue, for SQS-triggered functions).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { cloudWatchAlarms, cloudWatchHistory, cloudWatchMetrics } from '../../src/aws/cloudwatch.ts';
import { lambdaEventSourceMappings, lambdaFunctionRegistry, lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { queueInspector } from '../../src/aws/queues.ts';
import { sqsQueues } from '../../src/aws/sqs.ts';
import { CLIENT_RETRY, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { createPlan } from '../../src/core/steps/index.ts';

const lambda = new LambdaClient(CLIENT_RETRY);
const cloudWatch = new CloudWatchClient(CLIENT_RETRY);
const plan = createPlan({
  router: lambdaTrafficRouter(lambda),
  functions: lambdaFunctionRegistry(lambda),
  // Plan alone reads the alias' day of hourly history (the forecast).
  metrics: { ...cloudWatchMetrics(cloudWatch), history: cloudWatchHistory(cloudWatch) },
  alarms: cloudWatchAlarms(cloudWatch),
  queues: queueInspector(lambdaEventSourceMappings(lambda), sqsQueues(new SQSClient(CLIENT_RETRY))),
  clock: systemClock,
});

export const handler = taskHandler('plan', plan);
