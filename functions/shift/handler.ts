/**
 * Shift traffic: moves the alias to the next step's weight, with its RevisionId.
 * Parse, wire, map: the work is in src/core/steps/shift.ts. Lambda's client only.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { CLIENT_RETRY, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { createShift } from '../../src/core/steps/index.ts';

const shift = createShift({ router: lambdaTrafficRouter(new LambdaClient(CLIENT_RETRY)), clock: systemClock });

export const handler = taskHandler('shift', shift);
