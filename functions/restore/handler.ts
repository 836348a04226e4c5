/**
 * Restore the stable version: a release that rolls back puts an alias it promoted back on its stable
 * version, only if nobody changed it since. Parse, wire, map: the work is in src/core/steps/restore.ts.
 * Lambda's client only.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { clientIn, HOME_REGION } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { perRegion, requestRegion } from '../../src/core/regions.ts';
import { createRestore } from '../../src/core/steps/restore.ts';

// In the target's region (src/core/regions.ts).
const restoreIn = perRegion((region) => createRestore({ router: lambdaTrafficRouter(new LambdaClient(clientIn(region))) }), HOME_REGION);

export const handler = taskHandler('restore', (target: unknown) => restoreIn(requestRegion(target))(target));
