/**
 * Roll back: points the alias at the stable version with no routing left, and lets go of it.
 * Parse, wire, map: the work is in src/core/steps/rollback.ts. Lambda's client only (a Plan that
 * failed leaves no plan: the alias is the one carrying this execution's mark).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { CLIENT_RETRY, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { createRollback } from '../../src/core/steps/index.ts';

const lambda = new LambdaClient(CLIENT_RETRY);
const rollback = createRollback({ router: lambdaTrafficRouter(lambda), clock: systemClock });

export const handler = taskHandler('rollback', rollback);
