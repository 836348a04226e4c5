/**
 * An SQS canary's rollback through the real statemachine/canary.asl.json: the alias goes back to
 * stable first, then the workflow waits one visibility timeout for the dead letters the candidate
 * caused last, and moves them back to the source queue. Nothing is lost.
 */
import { describe, expect, it } from 'vitest';
import { assess } from '../../src/core/judge/index.ts';
import type { ExecutionEvent } from '../../src/local/record.ts';
import { runLocal } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { loadScenario } from '../../src/sim/scenario.ts';

describe('an SQS canary that is rolled back', () => {
  it('restores the alias, waits for late dead letters, then redrives every one of them', async () => {
    const scenario = await loadScenario('sqs-poison');
    const account = createSimAccount(scenario, { seed: 3 });
    const states: ExecutionEvent[] = [];

    const result = await runLocal({ scenario, seed: 3, account, judge: assess, onEvent: (event) => { if (event.type === 'state') states.push(event.event); } });

    const entered = states.filter((event) => event.type === 'StateEntered').map((event) => event.state);
    expect(result.outcome).toBe('rolled-back');
    expect(entered.slice(entered.indexOf('Roll back'))).toEqual([
      'Roll back', 'Dead letters to redrive?', 'Wait for late dead letters', 'Redrive dead letters', 'Which ending?', 'Announce the rollback', 'Regression or inconclusive?', 'Rolled back',
    ]);
    expect(result.alias).toEqual({ version: '12', routing: {} });
    expect(result.queue).toMatchObject({ lost: 0, deadLettered: 0 });
    const waited = states.find((event) => event.type === 'StateEntered' && event.state === 'Wait for late dead letters');
    const redriven = states.find((event) => event.type === 'StateEntered' && event.state === 'Redrive dead letters');
    expect(Date.parse(redriven!.at) - Date.parse(waited!.at)).toBeGreaterThanOrEqual(scenario.queue!.visibilityTimeoutSeconds * 1000);
  });

  it('keeps the dead letters in the DLQ, lost to nobody, when asked not to redrive', async () => {
    const scenario = await loadScenario('sqs-poison');
    const account = createSimAccount(scenario, { seed: 3 });
    const request = { functionName: account.settings.functionName, alias: account.settings.alias, candidateVersion: account.settings.candidateVersion, redriveOnRollback: false };

    const result = await runLocal({ scenario, seed: 3, account, judge: assess, request });

    expect(result.outcome).toBe('rolled-back');
    expect(result.queue).toMatchObject({ lost: 0, redriven: 0 });
  });
});
