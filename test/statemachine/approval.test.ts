/**
 * Approval and operator controls through the real statemachine/canary.asl.json: the wait for a
 * person's approval (answered by the local runner, as `run --local --approve` does), and `coalmine
 * pause|resume|promote`, which write their control into the alias' owner mark, as an operator's
 * UpdateAlias would, for the next look to read.
 */
import { describe, expect, it } from 'vitest';
import { readOwnerMark, withControl, type OperatorControl } from '../../src/core/ownership.ts';
import type { ExecutionEvent, RunResult } from '../../src/local/record.ts';
import { runLocal, type LocalApprover, type ProgressEvent } from '../../src/local/runner.ts';
import { createSimAccount, type SimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';

const ORIGINAL = 'checkout production alias';
const STRATEGY = { steps: [20, 50], intervalMinutes: 2 };

function account(candidate: Record<string, unknown> = {}): SimAccount {
  const scenario = parseScenario(
    {
      name: 'controls',
      minutes: 240,
      traffic: { requestsPerMinute: 6000 },
      stable: { errorRate: 0.001, latencyMs: { median: 80, p99: 400 } },
      candidate: { errorRate: 0.001, latencyMs: { median: 80, p99: 400 }, ...candidate },
      strategy: STRATEGY,
      account: { description: ORIGINAL },
    },
    'controls.json',
  );
  return createSimAccount(scenario, { seed: 3 });
}

/** What `coalmine pause|resume|promote` does to the alias: the control in the mark, a new revision. */
function operator(sim: SimAccount, control: OperatorControl | undefined): void {
  sim.changeAliasByHand({ description: withControl(sim.aliasNow().description, control)! });
}

async function run(sim: SimAccount, options: { approval?: 'before-promote'; approve?: 'yes' | 'no' | LocalApprover; maxExtensionMinutes?: number } = {}): Promise<{ result: RunResult; path: string[]; events: ExecutionEvent[] }> {
  const events: ExecutionEvent[] = [];
  const onEvent = (event: ProgressEvent) => {
    if (event.type === 'state') events.push(event.event);
  };
  const request = {
    functionName: 'checkout',
    alias: 'live',
    candidateVersion: '13',
    strategy: STRATEGY,
    analysis: { maxExtensionMinutes: options.maxExtensionMinutes ?? 30 },
    ...(options.approval ? { approval: options.approval } : {}),
  };
  const result = await runLocal({ scenario: sim.scenario, seed: 3, account: sim, request, onEvent, ...(options.approve ? { approve: options.approve } : {}) });
  return { result, events, path: events.filter((event) => event.type === 'StateEntered').map((event) => event.state!) };
}

describe('a canary that needs approval before it promotes', () => {
  it('waits at the final step, announces it with a task token, and promotes once approved', async () => {
    const sim = account();
    const { result, path } = await run(sim, { approval: 'before-promote', approve: 'yes' });

    expect(result.outcome).toBe('promoted');
    expect(result.reason).toMatch(/^promoted after 2 steps, approved by the local run \(--approve yes\): /);
    expect(result.alias).toEqual({ version: '13', routing: {} });
    expect(path.slice(-7)).toEqual(['Ask for approval?', 'Announce the wait for approval', 'Wait for approval', 'Promote the candidate', 'Judge after promotion?', 'Announce the promotion', 'Promoted']);
    const awaited = result.steps.filter((step) => step.decision === 'await-approval');
    expect(awaited).toHaveLength(1);
    expect(awaited[0]).toMatchObject({ weight: 50 });
    expect(awaited[0]!.reasons[0]).toMatch(/^awaiting approval at step 2 of 2 \(50%\): the judge would promote; coalmine approve or reject, within 30 more minutes$/);
    const announced = sim.events.filter((event) => event.detailType === 'Canary Awaiting Approval');
    expect(announced).toHaveLength(1);
    expect(announced[0]!.detail).toMatchObject({ execution: expect.stringContaining(':execution:'), functionName: 'checkout', alias: 'live', candidateVersion: '13', stableVersion: '12', weight: 50 });
    expect(sim.events.filter((event) => event.detailType === 'Canary Approval Token').map((event) => event.detail)).toEqual([expect.objectContaining({ taskToken: expect.any(String), weight: 50 })]);
  });

  it('rolls back to the stable version when rejected, and says a person rejected it, not that it regressed', async () => {
    const sim = account();
    const { result, path } = await run(sim, { approval: 'before-promote', approve: 'no' });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('rejected');
    expect(result.errorName).toBe('CanaryRejected');
    expect(result.reason).toBe('rejected by the local run (--approve no)');
    expect(result.alias).toEqual({ version: '12', routing: {} });
    expect(sim.aliasNow().description).toBe(ORIGINAL);
    expect(path.slice(-7)).toEqual(['Wait for approval', 'Roll back', 'Dead letters to redrive?', 'Which ending?', 'Announce the rollback', 'Regression or inconclusive?', 'Rolled back: rejected']);
    expect(sim.events.find((event) => event.detailType === 'Canary Rolled Back')?.detail).toMatchObject({ rollbackKind: 'rejected' });
  });

  it('keeps judging while it waits, and rolls back a regression that shows up during the wait', async () => {
    // The minute this scenario's healthy candidate is first ready to promote (seed 3), as measured.
    const healthy = await run(account(), { approval: 'before-promote', approve: 'yes' });
    const waitStarts = healthy.result.steps.find((step) => step.decision === 'await-approval')!.minute;
    // The candidate starts failing half its requests after the wait began.
    const sim = account({ errorRate: 0.5, fromMinute: waitStarts + 2 });
    const { result } = await run(sim, { approval: 'before-promote', approve: () => 'wait' });

    expect(result.steps.find((step) => step.decision === 'await-approval')?.minute).toBeLessThan(waitStarts + 2);
    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.alias).toEqual({ version: '12', routing: {} });
  });

  it('does not hold the split forever: unanswered, it rolls back as inconclusive at the limit', async () => {
    const sim = account();
    const { result } = await run(sim, { approval: 'before-promote', approve: () => 'wait', maxExtensionMinutes: 10 });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('inconclusive');
    expect(result.errorName).toBe('CanaryInconclusive');
    expect(result.reason).toMatch(/^no approval within 10 minutes, the limit \(analysis\.maxExtensionMinutes\): rolled back to the stable version/);
    expect(result.alias).toEqual({ version: '12', routing: {} });
    expect(result.steps.filter((step) => step.decision === 'await-approval').length).toBeGreaterThanOrEqual(9);
    // People are asked once; the token is renewed at every look while nobody answers.
    expect(sim.events.filter((event) => event.detailType === 'Canary Awaiting Approval')).toHaveLength(1);
    expect(sim.events.filter((event) => event.detailType === 'Canary Approval Token').length).toBeGreaterThanOrEqual(9);
  });
});

describe('operator controls', () => {
  it('pause holds the weights, with the reason saying an operator asked; resume lets it advance', async () => {
    const sim = account();
    sim.at(1, () => operator(sim, 'pause'));
    sim.at(12, () => operator(sim, undefined));
    const { result } = await run(sim);

    expect(result.outcome).toBe('promoted');
    const paused = result.steps.filter((step) => step.reasons[0]?.startsWith('paused by an operator (coalmine pause) at step 1 of 2 (20%)'));
    expect(paused.length).toBeGreaterThanOrEqual(8);
    expect(paused.every((step) => step.decision === 'hold' && step.weight === 20)).toBe(true);
    // The first shift to 50% comes only after the resume, at minute 12.
    const firstAt50 = result.steps.find((step) => step.weight === 50)!;
    expect(firstAt50.minute).toBeGreaterThan(12);
    expect(sim.aliasNow().description).toBe(ORIGINAL);
  });

  it('a control written between a step’s read and its write of the alias does not stop the canary', async () => {
    const sim = account();
    let raced = 0;
    sim.faults.before('router.updateAlias', () => {
      // The operator's UpdateAlias lands first: the step's write then meets a newer revision.
      if (raced === 0 && readOwnerMark(sim.aliasNow().description)) {
        raced++;
        operator(sim, 'pause');
      }
    });
    sim.at(6, () => operator(sim, undefined));
    const { result } = await run(sim);

    expect(raced).toBe(1);
    expect(result.outcome).toBe('promoted');
    expect(result.steps.some((step) => step.reasons[0]?.startsWith('paused by an operator'))).toBe(true);
  });

  it('a regression during a pause still rolls back: safety first', async () => {
    const sim = account({ errorRate: 0.5, fromMinute: 4 });
    sim.at(1, () => operator(sim, 'pause'));
    const { result } = await run(sim);

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.alias).toEqual({ version: '12', routing: {} });
    expect(sim.aliasNow().description).toBe(ORIGINAL);
    expect(result.steps.some((step) => step.reasons[0]?.startsWith('paused by an operator'))).toBe(true);
  });

  it('a pause lasts at most the limit, then the canary rolls back to stable as inconclusive', async () => {
    const sim = account();
    sim.at(1, () => operator(sim, 'pause'));
    const { result } = await run(sim, { maxExtensionMinutes: 8 });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('inconclusive');
    expect(result.reason).toMatch(/^paused for 8 minutes, the limit/);
    expect(result.alias).toEqual({ version: '12', routing: {} });
  });

  it('promote finishes now: the next look promotes, skipping the steps left', async () => {
    const sim = account();
    sim.at(1, () => operator(sim, 'promote'));
    const { result, path } = await run(sim);

    expect(result.outcome).toBe('promoted');
    expect(result.reason).toMatch(/^promoted at step 1 of 2: promoted by an operator \(coalmine promote\) at step 1 of 2 \(20%\), skipping the steps left/);
    expect(result.steps.map((step) => step.weight)).not.toContain(50);
    expect(path.filter((state) => state === 'Shift traffic')).toHaveLength(1);
    expect(sim.aliasNow()).toMatchObject({ version: '13', weights: {}, description: ORIGINAL });
    expect(readOwnerMark(sim.aliasNow().description)).toBeUndefined();
  });

  it('promote answers a canary waiting for approval too', async () => {
    const sim = account();
    let asked = 0;
    const { result } = await run(sim, {
      approval: 'before-promote',
      approve: ({ account: waiting }) => {
        if (++asked === 2) operator(waiting, 'promote');
        return 'wait';
      },
    });

    expect(result.outcome).toBe('promoted');
    expect(result.reason).toMatch(/promoted by an operator \(coalmine promote\) at step 2 of 2 \(50%\)/);
  });
});

