/**
 * Redrive: after an SQS canary's rollback, moves the messages that reached the DLQ during the canary
 * (and only those) back to the source queue. Parse, wire, map: the work is in src/core/steps/index.ts.
 */
import { awsPorts, createClients } from '../../src/aws/index.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { assess } from '../../src/core/judge/index.ts';
import { createSteps } from '../../src/core/steps/index.ts';

const clients = createClients();
const steps = createSteps(awsPorts(clients), { judge: assess });

export const handler = taskHandler('redrive', (event) => steps.redrive(event));
