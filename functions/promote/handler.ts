/**
 * Promote the candidate: points the alias at the candidate with no routing left, and lets go of it.
 * Parse, wire, map: the work is in src/core/steps/promote.ts. Lambda's client only, in the plan's region.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { clientIn, HOME_REGION, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { regionalStep } from '../../src/core/regions.ts';
import { createPromote } from '../../src/core/steps/index.ts';

const promote = regionalStep((region) => createPromote({ router: lambdaTrafficRouter(new LambdaClient(clientIn(region))), clock: systemClock }), HOME_REGION);

export const handler = taskHandler('promote', promote);
