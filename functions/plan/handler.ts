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
import { clientIn, HOME_REGION, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { regionalStep } from '../../src/core/regions.ts';
import { createPlan } from '../../src/core/steps/index.ts';

// Every client in the region the request names (src/core/regions.ts).
const plan = regionalStep((region) => {
  const lambda = new LambdaClient(clientIn(region));
  const cloudWatch = new CloudWatchClient(clientIn(region));
  return createPlan({
    router: lambdaTrafficRouter(lambda),
    functions: lambdaFunctionRegistry(lambda),
    // Plan alone reads the alias' day of hourly history (the forecast).
    metrics: { ...cloudWatchMetrics(cloudWatch), history: cloudWatchHistory(cloudWatch) },
    alarms: cloudWatchAlarms(cloudWatch),
    queues: queueInspector(lambdaEventSourceMappings(lambda), sqsQueues(new SQSClient(clientIn(region)))),
    clock: systemClock,
  });
}, HOME_REGION);

export const handler = taskHandler('plan', plan);
