/**
 * Roll back: points the alias at the stable version with no routing left, and lets go of it.
 * Parse, wire, map: the work is in src/core/steps/rollback.ts. Lambda's client only (a Plan that
 * failed leaves no plan: the alias is the one carrying this execution's mark).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { clientIn, HOME_REGION, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { regionalStep } from '../../src/core/regions.ts';
import { createRollback } from '../../src/core/steps/index.ts';

// In the plan's region; after a failed Plan, in the one the request names (src/core/regions.ts).
const rollback = regionalStep((region) => createRollback({ router: lambdaTrafficRouter(new LambdaClient(clientIn(region))), clock: systemClock }), HOME_REGION);

export const handler = taskHandler('rollback', rollback);
