/**
 * Promote the candidate: points the alias at the candidate with no routing left, and lets go of it.
 * Parse, wire, map: the work is in src/core/steps/promote.ts. Lambda's client only.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { CLIENT_RETRY, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { createPromote } from '../../src/core/steps/index.ts';

const promote = createPromote({ router: lambdaTrafficRouter(new LambdaClient(CLIENT_RETRY)), clock: systemClock });

export const handler = taskHandler('promote', promote);
