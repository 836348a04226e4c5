/**
 * Restore the stable version: a release that rolls back puts an alias it promoted back on its stable
 * version, only if nobody changed it since. Parse, wire, map: the work is in src/core/steps/restore.ts.
 * Lambda's client only.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { CLIENT_RETRY } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { createRestore } from '../../src/core/steps/restore.ts';

const restore = createRestore({ router: lambdaTrafficRouter(new LambdaClient(CLIENT_RETRY)) });

export const handler = taskHandler('restore', restore);
