/** Redrive: after a rollback, moves the canary's dead letters (and only those) back to the source queue. */
import { InvalidRequestError } from '../errors.ts';
import type { QueueInspector } from '../ports.ts';
import { outcomeTitle, type CanaryState } from '../state.ts';
import { parsePayload, statePayload } from './payload.ts';

/** Only the queues' redrive: the Redrive function has SQS's client, and no Lambda one to list mappings with. */
export function createRedrive({ queues }: { queues: Pick<QueueInspector, 'redrive'> }) {
  return async function redrive(payload: unknown): Promise<CanaryState> {
    const { state } = parsePayload(statePayload, payload, 'Redrive');
    const { plan: p, outcome } = state;
    if (!p.queue?.dlq || !outcome) throw new InvalidRequestError('Redrive input: state has no DLQ or no outcome; nothing to redrive');
    const report = await queues.redrive({ url: p.queue.dlq.url, arn: p.queue.dlq.arn }, { url: p.queue.queueUrl, arn: p.queue.queueArn }, p.startedAt);
    const { redrive: _redrive, ...rest } = state;
    const moved = report.moved;
    // Whatever the pass could not do is said, with what to do about it: nothing stays in a queue unsaid.
    const left = [
      ...(report.notMoved ? [`${report.notMoved} could not be sent back and stay in ${p.queue.dlq.name}`] : []),
      ...(report.inBothQueues ? [`${report.inBothQueues} were sent back but not deleted from ${p.queue.dlq.name} (a copy in both queues: delete those from the DLQ)`] : []),
      ...(report.complete ? [] : [`the pass ran out of time after examining ${report.examined} messages: move the rest from ${p.queue.dlq.name} by hand (SQS console, "Start DLQ redrive")`]),
    ];
    return {
      ...rest,
      status: `${outcomeTitle(outcome)}: ${p.functionName}:${p.alias} is on version ${outcome.alias.version}; ${moved} dead letter${moved === 1 ? '' : 's'} of the canary moved back to ${p.queue.queueName}${left.length ? `; ${left.join('; ')}` : ''}`,
      outcome: { ...outcome, redriven: moved, redrive: report },
    };
  };
}
