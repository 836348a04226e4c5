/**
 * Evaluate the canary: reads the settled minutes of both versions and asks the judge.
 * Parse, wire, map: the work is in src/core/steps/evaluate.ts. Lambda (is the alias still ours?)
 * and CloudWatch (the minutes).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { cloudWatchVersionMinutes } from '../../src/aws/cloudwatch.ts';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { CLIENT_RETRY, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { assess } from '../../src/core/judge/index.ts';
import { createEvaluate } from '../../src/core/steps/index.ts';

const evaluate = createEvaluate(
  { router: lambdaTrafficRouter(new LambdaClient(CLIENT_RETRY)), metrics: { versionMinutes: cloudWatchVersionMinutes(new CloudWatchClient(CLIENT_RETRY)) }, clock: systemClock },
  assess,
);

export const handler = taskHandler('evaluate', evaluate);
