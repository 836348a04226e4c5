/**
 * Redrive: after an SQS canary's rollback, moves the messages that reached the DLQ during the canary
 * (and only those) back to the source queue. Parse, wire, map: the work is in src/core/steps/redrive.ts.
 * SQS's client only.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsQueues } from '../../src/aws/sqs.ts';
import { clientIn, HOME_REGION } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { regionalStep } from '../../src/core/regions.ts';
import { createRedrive } from '../../src/core/steps/index.ts';

// In the plan's region (src/core/regions.ts).
const redrive = regionalStep((region) => createRedrive({ queues: sqsQueues(new SQSClient(clientIn(region))) }), HOME_REGION);

export const handler = taskHandler('redrive', redrive);
