import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/aws/stepfunctions.ts';
import { emptyProgress, endingOf, historyEntryOf, readProgress } from '../../src/cli/follow.ts';
import { runLocal } from '../../src/local/runner.ts';
import { loadScenario } from '../../src/sim/scenario.ts';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:Coalmine:run-1';
const start = () => emptyProgress({ executionArn: ARN, name: 'run-1', startedAt: '2024-05-14T09:00:00.000Z' });
const evaluate = (id: number, minute: number, decision: string): HistoryEntry => ({
  id,
  at: new Date(Date.parse('2024-05-14T09:00:00.000Z') + minute * 60_000).toISOString(),
  type: 'TaskStateExited',
  state: 'Evaluate the canary',
  output: JSON.stringify({ progress: { stepIndex: 0, weight: 10 }, verdict: { decision, reasons: [`${decision} because`], figures: { n: 100, nested: { not: 'a figure' } } } }),
});

describe('readProgress', () => {
  it('reads each decision once, however often a page is read again', () => {
    const entries = [evaluate(1, 5, 'hold'), evaluate(2, 10, 'advance')];

    const once = readProgress(start(), entries);
    const twice = readProgress(once, [...entries, evaluate(3, 15, 'promote')]);

    expect(twice.decisions.map((decision) => [decision.minute, decision.decision])).toEqual([
      [5, 'hold'],
      [10, 'advance'],
      [15, 'promote'],
    ]);
    expect(twice.decisions[0]!.figures).toEqual({ n: 100 });
  });

  it('reads the checks of each look, and drops ones that are not checks', () => {
    const checks = [
      { name: 'errors', phase: 'fail', summary: 'candidate fails 1.4–∞× as often as stable, 99% sure: roll back', figures: { errorRatioLower: 1.414 } },
      { name: 'latency', phase: 'maybe', summary: 'not a phase' },
      { name: 'data', phase: 'pass', summary: 'every settled minute has data for both versions' },
    ];
    const progress = readProgress(start(), [
      { id: 1, at: '2024-05-14T09:05:00.000Z', type: 'TaskStateExited', state: 'Evaluate the canary', output: JSON.stringify({ progress: { stepIndex: 0, weight: 10 }, verdict: { decision: 'rollback', reasons: ['r'], figures: {}, checks } }) },
    ]);

    expect(progress.decisions[0]!.checks).toEqual([checks[0], checks[2]]);
  });

  it('takes the state from a Lambda result when only TaskSucceeded carries it', () => {
    const progress = readProgress(start(), [
      { id: 1, at: '2024-05-14T09:20:00.000Z', type: 'ExecutionSucceeded', output: JSON.stringify({ Payload: { outcome: { result: 'promoted', reason: 'all good', alias: { version: '13', routing: {} } } } }) },
    ]);

    expect(progress.status).toBe('SUCCEEDED');
    expect(endingOf(progress)).toMatchObject({ outcome: 'promoted', reason: 'all good', exitCode: 0 });
  });

  it('says a restore after promotion for missing metrics was inconclusive, as the Restore step wrote it', () => {
    const reason = 'promoted, then restored: after promotion, metrics missing past the bake';
    const outcome = { result: 'rolled-back', rollbackKind: 'inconclusive', reason, alias: { version: '12', routing: {} } };
    const progress = readProgress(start(), [
      { id: 1, at: '2024-05-14T09:39:00.000Z', type: 'TaskStateExited', output: JSON.stringify({ outcome }) },
      { id: 2, at: '2024-05-14T09:40:00.000Z', type: 'ExecutionFailed', error: 'CanaryRestored', cause: reason },
    ]);

    expect(endingOf(progress)).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'inconclusive', restoredAfterPromotion: true, exitCode: 5 });
  });

  it('tells a candidate promoted, then restored after promotion from a plain rollback: exit 5', () => {
    const reason = 'promoted at 2024-05-14T09:20:00.000Z, then restored: after promotion, promoted version fails above the 0.31% bar it was promoted under';
    const progress = readProgress(start(), [{ id: 1, at: '2024-05-14T09:40:00.000Z', type: 'ExecutionFailed', error: 'CanaryRestored', cause: reason }]);

    expect(endingOf(progress)).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'regression', restoredAfterPromotion: true, reason, exitCode: 5 });
  });

  it('calls a skipped canary a failure to act on, exit 1', () => {
    const progress = readProgress(start(), [
      { id: 1, at: '2024-05-14T09:00:01.000Z', type: 'SucceedStateEntered', state: 'Skipped' },
      { id: 2, at: '2024-05-14T09:00:01.000Z', type: 'ExecutionSucceeded', output: JSON.stringify({ skipped: true, status: 'function has no coalmine:alias tag' }) },
    ]);

    expect(endingOf(progress)).toEqual({ outcome: 'failed', rollbackKind: null, reason: 'Coalmine skipped this canary: function has no coalmine:alias tag', exitCode: 1 });
  });

  it('ignores outputs that are not JSON', () => {
    const progress = readProgress(start(), [{ id: 1, at: '2024-05-14T09:01:00.000Z', type: 'TaskStateExited', state: 'Evaluate the canary', output: 'not json' }]);

    expect(progress.decisions).toEqual([]);
    expect(progress.lastEventId).toBe(1);
  });
});

describe('one fold for local and AWS executions', () => {
  it('folds a local run\'s events into the same looks, with the same checks, that run --json lists', async () => {
    const scenario = loadScenario('error-3x');
    let progress = start();
    let id = 0;
    const result = await runLocal({
      scenario,
      seed: 1,
      onEvent: (event) => {
        if (event.type === 'started') progress = emptyProgress({ executionArn: `local:${event.execution}`, name: event.execution, startedAt: event.at });
        if (event.type === 'state') progress = readProgress(progress, [historyEntryOf(event.event, ++id)]);
      },
    });

    expect(progress.decisions.map(({ weight, decision, reasons, checks }) => ({ weight, decision, reasons, checks }))).toEqual(
      result.steps.map(({ weight, decision, reasons, checks }) => ({ weight, decision, reasons, checks })),
    );
    expect(progress.planLine).toMatch(/^Planned: checkout:live from version 12 to 13/);
    expect(endingOf({ ...progress, error: { error: result.errorName!, cause: result.reason } })).toMatchObject({ outcome: 'rolled-back', exitCode: 3 });
  });
});
