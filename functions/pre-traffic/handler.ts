/**
 * Check the candidate before traffic: invokes the candidate version with each smoke event, then the
 * user's hook with the plan. Parse, wire, map: the work is in src/core/steps/pre-traffic.ts.
 * Lambda's client only (GetAlias, and Invoke on the candidate version and the hook).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaFunctionInvoker, lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { CLIENT_RETRY } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { createPreTraffic } from '../../src/core/steps/index.ts';

const lambda = new LambdaClient(CLIENT_RETRY);
const preTraffic = createPreTraffic({ router: lambdaTrafficRouter(lambda), invoker: lambdaFunctionInvoker(lambda) });

export const handler = taskHandler('preTraffic', preTraffic);
