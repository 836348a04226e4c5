/**
 * The state machine's paths (docs/architecture.md): the real statemachine/canary.asl.json run by
 * aws-local-stepfunctions through `runLocal`, every Task backed by the real step code over the
 * simulated account. A stand-in judge steers each run, so these tests check the workflow (paths,
 * Retry, Catch, ownership), not the statistics.
 */
import { describe, expect, it } from 'vitest';
import { AccessDeniedError, AliasChangedError, ThrottledError } from '../../src/core/errors.ts';
import type { Judge } from '../../src/core/judge/index.ts';
import { readOwnerMark } from '../../src/core/ownership.ts';
import type { Ports } from '../../src/core/ports.ts';
import { createSteps, type Steps } from '../../src/core/steps/index.ts';
import type { ExecutionEvent, RunResult } from '../../src/local/record.ts';
import { runLocal, type ProgressEvent } from '../../src/local/runner.ts';
import { createSimAccount, type SimAccount } from '../../src/sim/account/index.ts';
import { SIM_CALLS } from '../../src/sim/faults.ts';
import type { Scenario } from '../../src/sim/scenario.ts';
import { DEFINITION, statusChangeEvent } from '../faults/harness.ts';
import { executionRef, judgeFailing, judgePassingAfter, scenarioMaker } from '../helpers/factories.ts';

const ORIGINAL = 'checkout production alias';
/** The execution a local run names, as `runLocal` builds its ARN. */
const localExecution = (name: string) => executionRef(name, { region: 'us-east-1', stateMachine: 'coalmine-canary' });

const failAlways = judgeFailing('the candidate fails more often than stable');

const scenario = scenarioMaker({
  name: 'statemachine',
  minutes: 30,
  traffic: { requestsPerMinute: 600 },
  stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 400 } },
  strategy: { steps: [10, 50], intervalMinutes: 2 },
  account: { description: ORIGINAL },
});

interface Run {
  account: SimAccount;
  result: RunResult;
  events: ExecutionEvent[];
  /** Names of the states entered, in order. */
  path: string[];
}

interface RunOptions {
  /** An account prepared beforehand; default: a fresh one for the scenario. */
  account?: SimAccount;
  judge?: Judge;
  scenario?: Scenario;
  request?: unknown;
  /** Prepare the account; `current()` is the state the execution is in. */
  arrange?: (account: SimAccount, current: () => string | undefined) => void;
  steps?: (ports: Ports, current: () => string | undefined) => Steps;
  signal?: AbortSignal;
}

async function run(options: RunOptions = {}): Promise<Run> {
  const chosen = options.scenario ?? scenario();
  const account = options.account ?? createSimAccount(chosen, { seed: 1 });
  const events: ExecutionEvent[] = [];
  let current: string | undefined;
  const onEvent = (event: ProgressEvent) => {
    if (event.type !== 'state') return;
    events.push(event.event);
    if (event.event.type === 'StateEntered') current = event.event.state;
  };
  options.arrange?.(account, () => current);
  const stepsOption = options.steps;
  const result = await runLocal({
    scenario: chosen,
    seed: 1,
    account,
    judge: options.judge ?? judgePassingAfter(100),
    onEvent,
    ...(options.request === undefined ? {} : { request: options.request }),
    ...(stepsOption ? { steps: (ports: Ports) => stepsOption(ports, () => current) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { account, result, events, path: events.filter((event) => event.type === 'StateEntered').map((event) => event.state!) };
}

/** Makes every call of `state` fail with `error()` (for `times` calls when given). */
function failIn(state: string, error: () => Error, times = Infinity) {
  return (account: SimAccount, current: () => string | undefined) => {
    let thrown = 0;
    for (const call of SIM_CALLS) {
      account.faults.before(call, () => {
        if (current() !== state || thrown >= times) return;
        thrown++;
        throw error();
      });
    }
  };
}

function expectRestored(account: SimAccount, version = '12') {
  const alias = account.aliasNow();
  expect(alias).toMatchObject({ version, weights: {}, description: ORIGINAL });
  expect(readOwnerMark(alias.description)).toBeUndefined();
}

const retriedIn = (events: ExecutionEvent[], state: string) => events.filter((event) => event.type === 'StateRetried' && event.state === state).length;

describe('the canary state machine', () => {
  it('promotes: Plan, then Shift, Bake, the cold-start query and Evaluate for each step, then Promote and announce it', async () => {
    const { account, result, path } = await run();

    expect(result.outcome).toBe('promoted');
    expect(path.slice(0, 3)).toEqual(['Plan the canary', 'Decide', 'Shift traffic']);
    expect(path.filter((state) => state === 'Shift traffic')).toHaveLength(2);
    const before = (index: number, count: number) => path.slice(index - count, index);
    const looks = path.flatMap((state, index) => (state === 'Evaluate the canary' ? [index] : []));
    // The first look has no query before it; every later one counts its window's cold starts first.
    // A canary without alarm gates reads no alarms: straight past "Alarms to read?".
    expect(before(looks[0]!, 3)).toEqual(['Bake', 'Read cold starts?', 'Alarms to read?']);
    for (const look of looks.slice(1)) {
      expect(before(look, 7)).toEqual(['Bake', 'Read cold starts?', 'Start the cold-start query', 'Let the cold-start query run', 'Read the cold-start query', 'Cold-start query done?', 'Alarms to read?']);
    }
    expect(path.slice(-4)).toEqual(['Promote the candidate', 'Judge after promotion?', 'Announce the promotion', 'Promoted']);
    expect(path.filter((state) => state.startsWith('Roll back'))).toEqual([]);
    expect(result.steps.map((step) => step.weight)).toEqual(expect.arrayContaining([10, 50]));
    expectRestored(account, '13');
    expect(account.events.map((event) => event.detailType)).toEqual(['Canary Promoted']);
  });

  it('rolls back when the judge fails the candidate, and ends as CanaryRolledBack with the judge\'s reason', async () => {
    const { account, result, path } = await run({ judge: failAlways });

    expect(path.slice(-6)).toEqual(['Roll back', 'Dead letters to redrive?', 'Which ending?', 'Announce the rollback', 'Regression or inconclusive?', 'Rolled back']);
    expect(path).not.toContain('Roll back after an error');
    expect(result).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'regression', errorName: 'CanaryRolledBack', reason: 'the candidate fails more often than stable' });
    expectRestored(account);
    expect(account.events.map((event) => [event.detailType, (event.detail as { rollbackKind?: string }).rollbackKind])).toEqual([['Canary Rolled Back', 'regression']]);
  });

  it('rolls back as inconclusive when no verdict comes within the extension: CanaryInconclusive, announced with rollbackKind "inconclusive"', async () => {
    const neverSure: Judge = () => ({ phase: 'inconclusive', reasons: ['not enough candidate requests yet'], figures: {}, memory: {} });
    const request = { functionName: 'checkout', alias: 'live', candidateVersion: '13', analysis: { maxExtensionMinutes: 2 } };

    const { account, result, path } = await run({ judge: neverSure, request });

    expect(path.slice(-3)).toEqual(['Announce the rollback', 'Regression or inconclusive?', 'Rolled back: inconclusive']);
    expect(result).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'inconclusive', errorName: 'CanaryInconclusive' });
    expect(result.reason).toMatch(/^inconclusive, no regression found: not enough traffic to judge after extending the step by 2 minutes/);
    expectRestored(account);
    expect(account.events.map((event) => [event.detailType, (event.detail as { rollbackKind?: string }).rollbackKind])).toEqual([['Canary Rolled Back', 'inconclusive']]);
  });

  it('promotes AllAtOnce without a shift', async () => {
    const { account, result, path } = await run({ request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: 'AllAtOnce' } });

    expect(result.outcome).toBe('promoted');
    expect(result.reason).toContain('all at once');
    expect(path).toEqual(['Plan the canary', 'Decide', 'Promote the candidate', 'Judge after promotion?', 'Announce the promotion', 'Promoted']);
    // Two writes: Plan takes the alias, Promote moves it and lets go. No weights in between.
    expect(account.faults.count('router.updateAlias')).toBe(2);
    expect(result.steps).toEqual([]);
    expectRestored(account, '13');
  });

  describe('an error that is not retried', () => {
    const cases: [state: string, judge: Judge][] = [
      ['Plan the canary', judgePassingAfter(100)],
      ['Shift traffic', judgePassingAfter(100)],
      ['Evaluate the canary', judgePassingAfter(100)],
      ['Promote the candidate', judgePassingAfter(100)],
      ['Roll back', failAlways],
    ];

    it.each(cases)('in "%s" goes to "Roll back after an error", then fails with the original error', async (state, judge) => {
      const { account, result, path } = await run({ judge, arrange: failIn(state, () => new AccessDeniedError(`not authorized in ${state}`)) });

      expect(path.slice(path.indexOf(state))).toEqual([state, 'Roll back after an error', 'Dead letters to redrive?', 'Which ending?', 'Announce the failure', 'Failed']);
      expect(result.outcome).toBe('failed');
      expect(result.errorName).toBe('AccessDeniedError');
      expect(result.reason).toContain(`not authorized in ${state}`);
      expectRestored(account);
      expect(account.events.at(-1)?.detailType).toBe('Canary Failed');
    });
  });

  describe('retries', () => {
    it('declares Retry with backoff and full jitter for throttling and transient errors on every Lambda Task, and a Catch for the rest', () => {
      for (const [name, task] of DEFINITION.tasks) {
        const state = DEFINITION.definition.States[name]!;
        const retry = (state.Retry ?? []) as { ErrorEquals: string[]; BackoffRate?: number; JitterStrategy?: string; MaxAttempts?: number }[];
        const catches = (state['Catch'] ?? []) as { ErrorEquals: string[] }[];
        expect(catches.some((entry) => entry.ErrorEquals.includes('States.ALL')), `${name} catches everything`).toBe(true);
        if (task.kind !== 'lambda') continue;
        for (const error of ['ThrottledError', 'TransientServiceError', 'Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.ClientExecutionTimeoutException']) {
          const rule = retry.find((entry) => entry.ErrorEquals.includes(error));
          expect(rule, `${name} retries ${error}`).toBeDefined();
          expect(rule!.BackoffRate).toBeGreaterThan(1);
          expect(rule!.JitterStrategy).toBe('FULL');
          expect(rule!.MaxAttempts).toBeGreaterThanOrEqual(3);
        }
        expect(retry.some((entry) => entry.ErrorEquals.includes('AccessDeniedError') || entry.ErrorEquals.includes('States.ALL')), `${name} does not retry what cannot pass`).toBe(false);
      }
    });

    const cases: [state: string, judge: Judge, outcome: RunResult['outcome']][] = [
      ['Plan the canary', judgePassingAfter(100), 'promoted'],
      ['Shift traffic', judgePassingAfter(100), 'promoted'],
      ['Evaluate the canary', judgePassingAfter(100), 'promoted'],
      ['Promote the candidate', judgePassingAfter(100), 'promoted'],
      ['Roll back', failAlways, 'rolled-back'],
    ];

    it.each(cases)('of a throttle injected twice in "%s" still end as they would have (%s)', async (state, judge, outcome) => {
      const { account, result, events, path } = await run({ judge, arrange: failIn(state, () => new ThrottledError('Rate exceeded'), 2) });

      expect(retriedIn(events, state)).toBe(2);
      expect(path).not.toContain('Roll back after an error');
      expect(result.outcome).toBe(outcome);
      expectRestored(account, outcome === 'promoted' ? '13' : '12');
    });

    it('of a throttle that never stops run out, and end in a rollback whose output names the cause', async () => {
      const { account, result, events, path } = await run({ arrange: failIn('Shift traffic', () => new ThrottledError('Rate exceeded (TooManyRequestsException)')) });
      const maxAttempts = (DEFINITION.definition.States['Shift traffic']!.Retry as { MaxAttempts: number }[])[0]!.MaxAttempts;

      expect(retriedIn(events, 'Shift traffic')).toBe(maxAttempts);
      expect(path.slice(-5)).toEqual(['Roll back after an error', 'Dead letters to redrive?', 'Which ending?', 'Announce the failure', 'Failed']);
      expect(result).toMatchObject({ outcome: 'failed', errorName: 'ThrottledError' });
      expect(result.reason).toContain('Rate exceeded (TooManyRequestsException)');
      expectRestored(account);
    });
  });

  describe('ownership', () => {
    it('refuses a second canary on an owned alias with CanaryInProgressError naming the running execution', async () => {
      const first = 'checkout_live_v13_first-run';
      const account = createSimAccount(scenario(), { seed: 1 });
      // A first execution has planned and owns the alias.
      await createSteps(account.ports, { judge: judgePassingAfter(100) }).plan({
        request: { functionName: 'checkout', alias: 'live', candidateVersion: '13' },
        execution: localExecution(first),
      });
      const before = account.aliasNow();

      const { result, path } = await run({ account });

      expect(result).toMatchObject({ outcome: 'failed', errorName: 'CanaryInProgressError' });
      expect(result.reason).toContain(`execution ${first}`);
      expect(path).not.toContain('Shift traffic');
      expect(account.aliasNow()).toEqual(before);
      expect(readOwnerMark(account.aliasNow().description)?.owner).toBe(first);
    });

    it('stops when someone changes the alias by hand mid-canary, and leaves their change (AliasChangedError)', async () => {
      let theirs: ReturnType<SimAccount['aliasNow']> | undefined;
      const { account, result } = await run({
        arrange: (account, current) => {
          account.faults.before('router.getAlias', () => {
            // During the first Bake, someone sets 30% on the candidate in the console.
            if (current() === 'Evaluate the canary' && !theirs) theirs = account.changeAliasByHand({ weights: { '13': 30 } });
          });
        },
      });

      expect(result).toMatchObject({ outcome: 'failed', errorName: 'AliasChangedError' });
      expect(result.reason).toContain('changed by someone else');
      expect(account.aliasNow()).toMatchObject({ version: '12', weights: { '13': 30 }, description: ORIGINAL });
    });
  });

  describe('redrive after a rollback', () => {
    it.each(['Shift traffic', 'Evaluate the canary', 'Promote the candidate'])('re-running "%s" does not move traffic again: AliasChangedError, nothing changed', async (state) => {
      const { account, events, result } = await run({ judge: failAlways });
      // Shift is redriven with its own input; Evaluate and Promote with the state Evaluate saw.
      const from = state === 'Shift traffic' ? 'Shift traffic' : 'Evaluate the canary';
      const input = events.find((event) => event.type === 'StateEntered' && event.state === from)!.input;
      const step = { 'Shift traffic': 'shift', 'Evaluate the canary': 'evaluate', 'Promote the candidate': 'promote' }[state] as 'shift' | 'evaluate' | 'promote';
      const before = account.aliasNow();

      const redriven = createSteps(account.ports, { judge: judgePassingAfter(0) })[step]({ state: input, execution: localExecution(result.execution) });

      await expect(redriven).rejects.toBeInstanceOf(AliasChangedError);
      expect(account.aliasNow()).toEqual(before);
    });

    it.each(['shift', 'evaluate'] as const)('re-running %s after Cleanup restored an aborted execution does not move traffic again', async (step) => {
      const stop = new AbortController();
      let stateAtStop: unknown;
      const { account, result } = await run({
        signal: stop.signal,
        steps: (ports) => {
          const real = createSteps(ports, { judge: judgePassingAfter(100) });
          return {
            ...real,
            evaluate: async (payload) => {
              // Stopped at the end of the first Bake: the Evaluate Lambda never does its work.
              stop.abort();
              stateAtStop = (payload as { state: unknown }).state;
              throw new Error('stopped');
            },
          };
        },
      });
      expect(result.errorName).toBe('ExecutionAbortedError');
      const cleaned = await createSteps(account.ports, { judge: failAlways }).cleanup(
        statusChangeEvent(result.execution, 'ABORTED', { functionName: 'checkout', alias: 'live', candidateVersion: '13' }, account.clock.now()),
      );
      expect(cleaned).toMatchObject({ action: 'restored', version: '12' });
      expect(cleaned.reason).toContain('aborted');
      const before = account.aliasNow();

      const redriven = createSteps(account.ports, { judge: judgePassingAfter(0) })[step]({ state: stateAtStop, execution: localExecution(result.execution) });

      await expect(redriven).rejects.toBeInstanceOf(AliasChangedError);
      expect(account.aliasNow()).toEqual(before);
      expectRestored(account);
    });
  });

  describe('a stopped execution whose Lambda is still running when Cleanup restores the alias', () => {
    const cases: [state: string, judge: Judge][] = [
      ['Shift traffic', judgePassingAfter(100)],
      ['Evaluate the canary', judgePassingAfter(100)],
      ['Promote the candidate', judgePassingAfter(100)],
      ['Roll back', failAlways],
    ];

    it.each(cases)('changes nothing when the late "%s" finishes', async (state, judge) => {
      const stop = new AbortController();
      const late: Promise<unknown>[] = [];
      const cleanups: Promise<string>[] = [];
      const request = { functionName: 'checkout', alias: 'live', candidateVersion: '13' };
      const stepOf = (DEFINITION.tasks.get(state) as { step: 'shift' | 'evaluate' | 'promote' | 'rollback' }).step;
      const { account, result } = await run({
        judge,
        request,
        signal: stop.signal,
        steps: (ports, current) => {
          const real = createSteps(ports, { judge });
          const wrapped = async (payload: unknown) => {
            if (current() !== state || late.length > 0) return real[stepOf](payload);
            const name = (payload as { execution: { name: string } }).execution.name;
            stop.abort();
            // EventBridge delivers the ABORTED event and Cleanup restores the alias first...
            const cleaned = real.cleanup(statusChangeEvent(name, 'ABORTED', request, ports.clock.now()));
            cleanups.push(cleaned.then((done) => done.action));
            // ...then the Lambda that was already running finishes (the execution is over: nobody waits for it).
            const finishing = cleaned.then(() => real[stepOf](payload));
            late.push(finishing.catch((error: unknown) => error));
            return finishing;
          };
          return { ...real, [stepOf]: wrapped } as Steps;
        },
      });

      expect(result.errorName).toBe('ExecutionAbortedError');
      expect(await Promise.all(cleanups)).toEqual(['restored']);
      const outcome = await late[0];
      if (stepOf !== 'rollback') expect(outcome).toBeInstanceOf(AliasChangedError);
      expectRestored(account);
    });

    it.todo('a Plan still running when Cleanup looked can leave the mark of the stopped execution (docs/failure-modes.md)');
  });
});
