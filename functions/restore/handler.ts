/**
 * Restore the stable version: a release that rolls back, or a canary that found a regression after
 * promotion, puts an alias that was promoted back on its stable version, only if nobody changed it
 * since. Parse, wire, map: the work is in src/core/steps/restore.ts. Lambda's client only.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { clientIn, HOME_REGION, systemClock } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { payloadRegion, perRegion, requestRegion } from '../../src/core/regions.ts';
import { createRestoreStep } from '../../src/core/steps/restore.ts';

// In the target's region (src/core/regions.ts): a canary's state names it in its plan, a release's target in itself.
const restoreIn = perRegion((region) => createRestoreStep({ router: lambdaTrafficRouter(new LambdaClient(clientIn(region))), clock: systemClock }), HOME_REGION);

export const handler = taskHandler('restore', (payload: unknown) => restoreIn(payloadRegion(payload) ?? requestRegion(payload))(payload));
