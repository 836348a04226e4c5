/**
 * Check the candidate before traffic: invokes the candidate version with each smoke event, then the
 * user's hook with the plan. Parse, wire, map: the work is in src/core/steps/pre-traffic.ts.
 * Lambda's client only (GetAlias, and Invoke on the candidate version and the hook).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaFunctionInvoker, lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { clientIn, HOME_REGION } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { regionalStep } from '../../src/core/regions.ts';
import { createPreTraffic } from '../../src/core/steps/index.ts';

// In the plan's region (src/core/regions.ts).
const preTraffic = regionalStep((region) => {
  const lambda = new LambdaClient(clientIn(region));
  return createPreTraffic({ router: lambdaTrafficRouter(lambda), invoker: lambdaFunctionInvoker(lambda) });
}, HOME_REGION);

export const handler = taskHandler('preTraffic', preTraffic);
