/**
 * Evaluate the canary: reads the settled minutes of both versions and asks the judge.
 * Parse, wire, map: the work is in src/core/steps/index.ts.
 */
import { awsPorts, createClients } from '../../src/aws/index.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { assess } from '../../src/core/judge/index.ts';
import { createSteps } from '../../src/core/steps/index.ts';

const clients = createClients();
const steps = createSteps(awsPorts(clients), { judge: assess });

export const handler = taskHandler('evaluate', (event) => steps.evaluate(event));
