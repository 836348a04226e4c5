/**
 * Evaluate the canary: reads the settled minutes of both versions and asks the judge.
 * Parse, wire, map: the work is in src/core/steps/evaluate.ts. Lambda (is the alias still ours?)
 * and CloudWatch (the minutes).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { cloudWatchVersionMinutes } from '../../src/aws/cloudwatch.ts';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { clientIn, HOME_REGION, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { assess } from '../../src/core/judge/index.ts';
import { regionalStep } from '../../src/core/regions.ts';
import { createEvaluate } from '../../src/core/steps/index.ts';

// Both clients in the plan's region (src/core/regions.ts).
const evaluate = regionalStep(
  (region) =>
    createEvaluate(
      { router: lambdaTrafficRouter(new LambdaClient(clientIn(region))), metrics: { versionMinutes: cloudWatchVersionMinutes(new CloudWatchClient(clientIn(region))) }, clock: systemClock },
      assess,
    ),
  HOME_REGION,
);

export const handler = taskHandler('evaluate', evaluate);
