/**
 * Shift traffic: moves the alias to the next step's weight, with its RevisionId.
 * Parse, wire, map: the work is in src/core/steps/shift.ts. Lambda's client only, in the plan's region.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { clientIn, HOME_REGION, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { regionalStep } from '../../src/core/regions.ts';
import { createShift } from '../../src/core/steps/index.ts';

const shift = regionalStep((region) => createShift({ router: lambdaTrafficRouter(new LambdaClient(clientIn(region))), clock: systemClock }), HOME_REGION);

export const handler = taskHandler('shift', shift);
