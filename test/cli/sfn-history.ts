/**
 * Step Functions histories as GetExecutionHistory returns them, for the CLI's tests: a canary that
 * plans, shifts to 10%, holds, advances to 50% and then ends the way the test asks.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Decision } from '../../src/core/state.ts';
import { aliasState, canaryPlan, progressAt } from '../helpers/factories.ts';

export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Coalmine';
export const START = Date.parse('2024-05-14T09:00:00.000Z');

export type Ending = 'promoted' | 'rolled-back' | 'inconclusive' | 'rejected' | 'bad-input' | 'aborted' | 'timed-out' | 'task-error';

const INCONCLUSIVE_REASON = 'inconclusive, no regression found: not enough traffic to judge after extending the step by 120 minutes (limit 120)';
const REJECTED_REASON = 'rejected by bob: p99 looks off';

const plan = canaryPlan({ functionName: 'checkout-api', strategy: { name: 'Canary10Percent5Minutes', steps: [10, 50], intervalMinutes: 5 } });

function state(weight: number, stepIndex: number, decision: Decision, verdict?: { decision: string; reasons: string[]; figures: Record<string, number>; checks?: unknown[] }, outcome?: unknown) {
  const status = stepIndex < 0 ? 'Planned: checkout-api:live from version 12 to 13, 10% → 50% → 100%, 5 min a step' : `${decision} at ${weight}%`;
  return JSON.stringify({ status, plan, progress: progressAt(weight, stepIndex, decision, { revisionId: 'r1', evaluations: 1 }), ...(verdict ? { verdict } : {}), ...(outcome ? { outcome } : {}) });
}

/** The whole history of one execution, oldest first. */
export function history(ending: Ending): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  let minute = 0;
  const push = (type: string, details: Partial<HistoryEvent> = {}) => {
    events.push({ id: events.length + 1, timestamp: new Date(START + minute * 60_000), type: type as HistoryEvent['type'], ...details });
  };
  const task = (name: string, output: string) => {
    push('TaskStateEntered', { stateEnteredEventDetails: { name, input: '{}' } });
    push('TaskScheduled');
    push('TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: JSON.stringify({ ExecutedVersion: '$LATEST', Payload: JSON.parse(output), StatusCode: 200 }) } });
    push('TaskStateExited', { stateExitedEventDetails: { name, output } });
  };
  const choice = (output: string) => {
    push('ChoiceStateEntered', { stateEnteredEventDetails: { name: 'Decide', input: output } });
    push('ChoiceStateExited', { stateExitedEventDetails: { name: 'Decide', output } });
  };
  const evaluate = (weight: number, stepIndex: number, decision: Decision, reasons: string[], figures: Record<string, number>, checks?: unknown[]) => {
    push('WaitStateEntered', { stateEnteredEventDetails: { name: 'Bake' } });
    minute += 5;
    push('WaitStateExited', { stateExitedEventDetails: { name: 'Bake', output: '{}' } });
    const output = state(weight, stepIndex, decision, { decision, reasons, figures, ...(checks ? { checks } : {}) });
    task('Evaluate the canary', output);
    choice(output);
  };

  push('ExecutionStarted', { executionStartedEventDetails: { input: '{}' } });
  if (ending === 'bad-input') {
    push('TaskStateEntered', { stateEnteredEventDetails: { name: 'Plan the canary' } });
    push('TaskFailed', { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'AliasNotFoundError', cause: 'alias live does not exist' } });
    push('ExecutionFailed', { executionFailedEventDetails: { error: 'AliasNotFoundError', cause: 'alias live does not exist' } });
    return events;
  }
  task('Plan the canary', state(0, -1, 'advance'));
  choice(state(0, -1, 'advance'));
  task('Shift traffic', state(10, 0, 'hold'));
  evaluate(10, 0, 'hold', ['not enough evidence yet: 40 candidate requests of 100'], { candidateRequests: 40, candidateErrors: 0 });
  evaluate(10, 0, 'advance', ['candidate no worse than stable: 0.4% vs 0.5%'], { candidateRequests: 240, candidateErrors: 1, stableErrorRate: 0.005 });
  task('Shift traffic', state(50, 1, 'hold'));
  if (ending === 'aborted') {
    push('WaitStateEntered', { stateEnteredEventDetails: { name: 'Bake' } });
    push('ExecutionAborted', { executionAbortedEventDetails: { error: 'CoalmineAborted', cause: 'stopped with coalmine abort' } });
    return events;
  }
  if (ending === 'timed-out') {
    push('WaitStateEntered', { stateEnteredEventDetails: { name: 'Bake' } });
    push('ExecutionTimedOut', { executionTimedOutEventDetails: { error: 'States.Timeout' } });
    return events;
  }
  if (ending === 'task-error') {
    push('TaskStateEntered', { stateEnteredEventDetails: { name: 'Evaluate the canary' } });
    push('TaskFailed', { taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'AliasChangedError', cause: 'someone changed alias live' } });
    push('ExecutionFailed', { executionFailedEventDetails: { error: 'AliasChangedError', cause: 'someone changed alias live' } });
    return events;
  }
  if (ending === 'promoted') {
    evaluate(50, 1, 'promote', ['candidate no worse than stable at 50%: 0.45% vs 0.5%'], { candidateRequests: 3000, candidateErrors: 13 });
    const outcome = { result: 'promoted', reason: 'v13 served 50% as well as v12', alias: aliasState('13'), finishedAt: '2024-05-14T09:16:00Z' };
    task('Promote the candidate', state(50, 1, 'promote', undefined, outcome));
    push('SucceedStateEntered', { stateEnteredEventDetails: { name: 'Promoted' } });
    push('ExecutionSucceeded', { executionSucceededEventDetails: { output: state(50, 1, 'promote', undefined, outcome) } });
    return events;
  }
  if (ending === 'inconclusive') {
    evaluate(50, 1, 'rollback', [INCONCLUSIVE_REASON], { candidateRequests: 90, candidateErrors: 0 });
    const outcome = { result: 'rolled-back', rollbackKind: 'inconclusive', reason: INCONCLUSIVE_REASON, alias: aliasState('12'), finishedAt: '2024-05-14T09:16:00Z' };
    task('Roll back', state(50, 1, 'rollback', undefined, outcome));
    push('FailStateEntered', { stateEnteredEventDetails: { name: 'Rolled back: inconclusive' } });
    push('ExecutionFailed', { executionFailedEventDetails: { error: 'CanaryInconclusive', cause: INCONCLUSIVE_REASON } });
    return events;
  }
  if (ending === 'rejected') {
    evaluate(50, 1, 'await-approval', ['awaiting approval at step 2 of 2 (50%): the judge would promote; coalmine approve or reject, within 120 more minutes'], { candidateRequests: 3000, candidateErrors: 13 });
    push('TaskStateEntered', { stateEnteredEventDetails: { name: 'Wait for approval' } });
    push('TaskFailed', { taskFailedEventDetails: { resourceType: 'events', resource: 'putEvents.waitForTaskToken', error: 'CanaryRejected', cause: REJECTED_REASON } });
    const outcome = { result: 'rolled-back', rollbackKind: 'rejected', reason: REJECTED_REASON, alias: aliasState('12'), finishedAt: '2024-05-14T09:16:00Z' };
    task('Roll back', state(50, 1, 'await-approval', undefined, outcome));
    push('FailStateEntered', { stateEnteredEventDetails: { name: 'Rolled back: rejected' } });
    push('ExecutionFailed', { executionFailedEventDetails: { error: 'CanaryRejected', cause: REJECTED_REASON } });
    return events;
  }
  evaluate(50, 1, 'rollback', ['candidate fails 1.4–∞× as often as stable, 99% sure: roll back'], { candidateRequests: 3000, candidateErrors: 48 }, [
    { name: 'errors', phase: 'fail', summary: 'candidate fails 1.4–∞× as often as stable, 99% sure: roll back', figures: { errorRatioLower: 1.414 } },
    { name: 'latency', phase: 'pass', summary: 'no difference yet: ratio between 0.5× and 2×' },
  ]);
  const outcome = { result: 'rolled-back', reason: 'v13 fails 3.2× as often as v12', alias: aliasState('12'), finishedAt: '2024-05-14T09:16:00Z' };
  task('Roll back', state(50, 1, 'rollback', undefined, outcome));
  push('FailStateEntered', { stateEnteredEventDetails: { name: 'Rolled back' } });
  push('ExecutionFailed', { executionFailedEventDetails: { error: 'CanaryRolledBack', cause: 'v13 fails 3.2× as often as v12' } });
  return events;
}

/** DescribeExecution's answer once the execution has ended as `ending`. */
export function finalDescription(executionArn: string, name: string, ending: Ending, input: string) {
  const base = { executionArn, name, stateMachineArn: STATE_MACHINE_ARN, startDate: new Date(START), stopDate: new Date(START + 16 * 60_000), input };
  switch (ending) {
    case 'promoted':
      return { ...base, status: 'SUCCEEDED' as const, output: history('promoted').at(-1)!.executionSucceededEventDetails!.output };
    case 'rolled-back':
      return { ...base, status: 'FAILED' as const, error: 'CanaryRolledBack', cause: 'v13 fails 3.2× as often as v12' };
    case 'inconclusive':
      return { ...base, status: 'FAILED' as const, error: 'CanaryInconclusive', cause: INCONCLUSIVE_REASON };
    case 'rejected':
      return { ...base, status: 'FAILED' as const, error: 'CanaryRejected', cause: REJECTED_REASON };
    case 'bad-input':
      return { ...base, status: 'FAILED' as const, error: 'AliasNotFoundError', cause: 'alias live does not exist' };
    case 'task-error':
      return { ...base, status: 'FAILED' as const, error: 'AliasChangedError', cause: 'someone changed alias live' };
    case 'aborted':
      return { ...base, status: 'ABORTED' as const, error: 'CoalmineAborted', cause: 'stopped with coalmine abort' };
    case 'timed-out':
      return { ...base, status: 'TIMED_OUT' as const };
  }
}
