/**
 * Redrive: after an SQS canary's rollback, moves the messages that reached the DLQ during the canary
 * (and only those) back to the source queue. Parse, wire, map: the work is in src/core/steps/redrive.ts.
 * SQS's client only.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { sqsQueues } from '../../src/aws/sqs.ts';
import { CLIENT_RETRY } from '../../src/aws/wiring.ts';
import { taskHandler } from '../../src/aws/lambda-handler.ts';
import { createRedrive } from '../../src/core/steps/index.ts';

const redrive = createRedrive({ queues: sqsQueues(new SQSClient(CLIENT_RETRY)) });

export const handler = taskHandler('redrive', redrive);
