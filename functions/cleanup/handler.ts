/**
 * Clean up after a stopped execution: receives the EventBridge "Step Functions Execution Status Change"
 * event (ABORTED, TIMED_OUT, FAILED) and restores the stable version if that execution still owns the alias.
 * Parse, wire, map: the work is in src/core/steps/index.ts.
 */
import { awsPorts, createClients } from '../../src/aws/index.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { assess } from '../../src/core/judge/index.ts';
import { createSteps } from '../../src/core/steps/index.ts';

const clients = createClients();
const steps = createSteps(awsPorts(clients), { judge: assess });

export const handler = taskHandler('cleanup', (event) => steps.cleanup(event));
