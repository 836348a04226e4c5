/**
 * Hostile events and the attacks on ownership, Cleanup and Plan's limits, through the real
 * statemachine/canary.asl.json on the simulated account. Each test asserts the safe end state: the
 * alias on one version with no routing, owned by nobody, nobody's change overwritten, and a named
 * error before anything was touched where the attack was refused.
 */
import { describe, expect, it } from 'vitest';
import { ThrottledError, TransientServiceError } from '../../src/core/errors.ts';
import { assess } from '../../src/core/judge/index.ts';
import { ownerMark, readOwnerMark } from '../../src/core/ownership.ts';
import type { AliasState, Ports } from '../../src/core/ports.ts';
import { createSteps, type Steps } from '../../src/core/steps/index.ts';
import type { RunResult } from '../../src/local/record.ts';
import { runLocal, type ProgressEvent } from '../../src/local/runner.ts';
import { createSimAccount, type SimAccount } from '../../src/sim/account/index.ts';
import type { Scenario } from '../../src/sim/scenario.ts';
import { statusChangeEvent } from '../faults/harness.ts';
import { releaseEvent, scenarioMaker } from '../helpers/factories.ts';

const ORIGINAL = 'checkout production alias';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-canary';
const noWait = { sleep: async () => {} };

const scenario = scenarioMaker({
  name: 'attacks',
  minutes: 30,
  traffic: { requestsPerMinute: 6000 },
  stable: { errorRate: 0.001, latencyMs: { median: 80, p99: 400 } },
  strategy: { steps: [20, 50], intervalMinutes: 1 },
  analysis: { maxExtensionMinutes: 3 },
  account: { description: ORIGINAL },
});

const publishedVersion = (version: string) => ({
  version: '0',
  id: 'c030038d-8c4d-6141-9545-00ff7b7153e0',
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.lambda',
  account: '123456789012',
  time: '2026-01-05T09:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    eventSource: 'lambda.amazonaws.com',
    eventName: 'PublishVersion20150331',
    requestParameters: { functionName: 'checkout' },
    responseElements: { functionName: 'checkout', functionArn: `arn:aws:lambda:us-east-1:123456789012:function:checkout:${version}`, version },
  },
});

interface Run {
  account: SimAccount;
  result: RunResult;
  path: string[];
  before: AliasState;
}

async function run(options: { account?: SimAccount; request?: unknown; steps?: (ports: Ports, current: () => string | undefined) => Steps; signal?: AbortSignal; scenario?: Scenario } = {}): Promise<Run> {
  const chosen = options.scenario ?? scenario();
  const account = options.account ?? createSimAccount(chosen, { seed: 1 });
  const before = account.aliasNow();
  const path: string[] = [];
  let current: string | undefined;
  const onEvent = (event: ProgressEvent) => {
    if (event.type === 'state' && event.event.type === 'StateEntered') path.push((current = event.event.state!));
  };
  const stepsOption = options.steps;
  const result = await runLocal({
    scenario: chosen,
    seed: 1,
    account,
    onEvent,
    ...(options.request === undefined ? {} : { request: options.request }),
    ...(stepsOption ? { steps: (ports: Ports) => stepsOption(ports, () => current) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { account, result, path, before };
}

/** The alias is on `version` alone, with no routing and no mark, its original description whole. */
function expectSafe(account: SimAccount, version: string, description = ORIGINAL) {
  const alias = account.aliasNow();
  expect(alias).toMatchObject({ version, weights: {}, description });
  expect(readOwnerMark(alias.description)).toBeUndefined();
}

/** Refused before anything was touched: the very same alias, revision included, and no traffic moved. */
function expectUntouched(run: Run, errorName: string) {
  expect(run.result).toMatchObject({ outcome: 'failed', errorName });
  expect(run.account.aliasNow()).toEqual(run.before);
  expect(run.path).not.toContain('Shift traffic');
  expect(run.path).not.toContain('Promote the candidate');
}

/** Stops the execution as it enters `state` (StopExecution, or the execution's timeout). */
function stopIn(state: string, stop: AbortController) {
  return (ports: Ports, current: () => string | undefined): Steps => {
    const real = createSteps(ports, { judge: assess });
    const stopping = <K extends 'shift' | 'evaluate'>(step: K) =>
      (async (payload: unknown) => {
        const output = await real[step](payload);
        if (current() === state) stop.abort();
        return output;
      }) as Steps[K];
    return { ...real, shift: stopping('shift'), evaluate: stopping('evaluate') };
  };
}

async function cleanUp(account: SimAccount, result: RunResult, status: 'ABORTED' | 'TIMED_OUT' | 'FAILED', options: { withInput?: boolean } = {}) {
  account.recordExecution({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:coalmine-canary:${result.execution}`, status });
  const event = statusChangeEvent(result.execution, status, {}, account.clock.now()) as { detail: Record<string, unknown> };
  if (options.withInput === false) {
    // What EventBridge sends when the input is too large to include.
    event.detail['input'] = null;
    event.detail['inputDetails'] = { included: false };
  }
  return createSteps(account.ports, { judge: assess, cleanup: noWait }).cleanup(event);
}

describe('hostile events', () => {
  it('refuses a release event for a function that never opted in, even AllAtOnce: the alias is not touched', async () => {
    const attack = await run({ request: releaseEvent({ functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: 'AllAtOnce' }) });

    expectUntouched(attack, 'EventNotAllowedError');
    expect(attack.result.reason).toContain('has not opted in to canaries started by events');
  });

  it('refuses a release event that switches the judge off, for a function that did opt in', async () => {
    const account = createSimAccount(scenario({ account: { description: ORIGINAL, tags: { 'coalmine:alias': 'live' } } }), { seed: 1 });
    const attack = await run({ account, request: releaseEvent({ functionName: 'checkout', alias: 'live', candidateVersion: '13', analysis: { maxErrorRate: 1, errorTolerance: 100, alpha: 1e-300 } }) });

    expectUntouched(attack, 'EventNotAllowedError');
    expect(attack.result.reason).toContain('analysis.alpha: an event may not make the judge more lenient than the defaults');
  });

  it('refuses AllAtOnce from an event unless the owner allowed it, and runs it when they did', async () => {
    const refused = createSimAccount(scenario({ account: { description: ORIGINAL, tags: { 'coalmine:alias': 'live' } } }), { seed: 1 });
    const allowed = createSimAccount(scenario({ account: { description: ORIGINAL, tags: { 'coalmine:alias': 'live', 'coalmine:strategies': 'AllAtOnce' } } }), { seed: 1 });
    const event = releaseEvent({ functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: 'AllAtOnce' });

    expectUntouched(await run({ account: refused, request: event }), 'EventNotAllowedError');
    const owned = await run({ account: allowed, request: event });
    expect(owned.result.outcome).toBe('promoted');
    expectSafe(allowed, '13');
  });

  it('runs a published version with the owner\'s strategy only, whatever else the event carries', async () => {
    const account = createSimAccount(scenario({ strategy: undefined, account: { description: ORIGINAL, tags: { 'coalmine:alias': 'live', 'coalmine:strategy': 'Canary10Percent5Minutes' } } }), { seed: 1 });

    const { result } = await run({ account, request: publishedVersion('13') });

    expect(result.outcome).toBe('promoted');
    expect(result.steps.map((step) => step.weight)).toContain(10);
    expectSafe(account, '13');
  });
});

describe('Cleanup always finishes', () => {
  it('restores a PublishVersion canary whose opt-in tag was removed before it was aborted (never reads tags)', async () => {
    const account = createSimAccount(scenario({ account: { description: ORIGINAL, tags: { 'coalmine:alias': 'live' } } }), { seed: 1 });
    const stop = new AbortController();
    const { result } = await run({ account, request: publishedVersion('13'), steps: stopIn('Shift traffic', stop), signal: stop.signal });
    expect(Object.keys(account.aliasNow().weights)).not.toHaveLength(0);
    account.setTags({});

    const cleanup = await cleanUp(account, result, 'ABORTED');

    expect(cleanup.action).toBe('restored');
    expectSafe(account, '12');
  });

  it('restores after a status-change event that came without the execution\'s input (read from DescribeExecution)', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });
    const stop = new AbortController();
    const { result } = await run({ account, steps: stopIn('Shift traffic', stop), signal: stop.signal });

    const cleanup = await cleanUp(account, result, 'TIMED_OUT', { withInput: false });

    expect(cleanup).toMatchObject({ action: 'restored' });
    expect(cleanup.reason).toMatch(/timed out: alias checkout:live restored to version 12/);
    expectSafe(account, '12');
  });

  it('retries throttled calls and still restores', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });
    const stop = new AbortController();
    const { result } = await run({ account, steps: stopIn('Evaluate the canary', stop), signal: stop.signal });
    account.faults.inject({ call: 'executions.describeExecution', error: () => new ThrottledError('Rate exceeded (injected)'), times: 2 });
    account.faults.inject({ call: 'router.listAliases', error: () => new TransientServiceError('ServiceException (injected)'), times: 2 });

    const cleanup = await cleanUp(account, result, 'ABORTED');

    expect(cleanup.action).toBe('restored');
    expectSafe(account, '12');
  });

  it('fails loudly, restoring nothing half-way, when throttling never stops (Lambda retries, then the failure queue pages)', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });
    const stop = new AbortController();
    const { result } = await run({ account, steps: stopIn('Shift traffic', stop), signal: stop.signal });
    const split = account.aliasNow();
    // Throttled on every one of the invocation's five attempts.
    account.faults.inject({ call: 'router.listAliases', error: () => new ThrottledError('Rate exceeded (injected)'), times: 5 });

    await expect(cleanUp(account, result, 'ABORTED')).rejects.toBeInstanceOf(ThrottledError);
    expect(account.aliasNow()).toEqual(split);

    // Lambda's next attempt, once the throttling has passed, finishes the job.
    const retried = await cleanUp(account, result, 'ABORTED');
    expect(retried.action).toBe('restored');
    expectSafe(account, '12');
  });

  it('does nothing for an execution Step Functions says is still running, whatever the event says', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });
    const stop = new AbortController();
    const { result } = await run({ account, steps: stopIn('Shift traffic', stop), signal: stop.signal });
    account.recordExecution({ executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${result.execution}`, status: 'RUNNING' });
    const split = account.aliasNow();

    const cleanup = await createSteps(account.ports, { judge: assess, cleanup: noWait }).cleanup(statusChangeEvent(result.execution, 'ABORTED', {}, account.clock.now()));

    expect(cleanup.action).toBe('none');
    expect(cleanup.reason).toContain('RUNNING');
    expect(account.aliasNow()).toEqual(split);
  });
});

describe('ownership', () => {
  it('is by execution ARN: an execution of the same name in another stack cannot adopt a running canary, nor clean it up', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });
    const name = 'checkout_live_v13_0985cfb6-local-1';
    const otherStack = `arn:aws:states:us-east-1:123456789012:execution:other-stack-canary:${name}`;
    const taken = account.changeAliasByHand({ weights: { '13': 20 }, description: ownerMark({ executionArn: otherStack, owner: name, stable: '12', candidate: '13', original: ORIGINAL }) });

    const attempt = await run({ account });
    expect(attempt.result.execution).toBe(name);
    expect(attempt.result).toMatchObject({ outcome: 'failed', errorName: 'CanaryInProgressError' });
    expect(account.aliasNow()).toEqual(taken);

    // This stack's Cleanup for its own execution of that name leaves the other stack's canary alone.
    const cleanup = await cleanUp(account, attempt.result, 'FAILED');
    expect(cleanup.action).toBe('none');
    expect(account.aliasNow()).toEqual(taken);
  });

  it('a Plan retried after its answer was lost never adopts a change made by hand in between', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });
    let lost = false;
    const steps = (ports: Ports): Steps => {
      const real = createSteps(ports, { judge: assess });
      return {
        ...real,
        plan: async (payload) => {
          const output = await real.plan(payload);
          if (lost) return output;
          lost = true;
          // Plan took the alias; its answer is lost; someone pins version 11 by hand before the retry.
          account.changeAliasByHand({ version: '11' });
          const error = new Error('Lambda was unable to process the request (answer lost, injected)');
          error.name = 'Lambda.ServiceException';
          throw error;
        },
      };
    };

    const { result, path } = await run({ account, steps });

    expect(path.filter((state) => state === 'Plan the canary')).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'failed', errorName: 'AliasChangedError' });
    expect(path).not.toContain('Shift traffic');
    // Their version stays; only Coalmine's mark is gone, and the description is whole again.
    expectSafe(account, '11');
  });

  it('restores a long description whole (the mark keeps it entire), after a rollback and after a cleanup', async () => {
    const long = `checkout production alias — ${'owned by the payments team, pager rota in the wiki; '.repeat(3)}`.slice(0, 170);
    const rolledBack = createSimAccount(scenario({ candidate: { errorRate: 0.5 }, account: { description: long } }), { seed: 1 });
    expect((await run({ account: rolledBack, scenario: scenario({ candidate: { errorRate: 0.5 }, account: { description: long } }) })).result.outcome).toBe('rolled-back');
    expectSafe(rolledBack, '12', long);

    const aborted = createSimAccount(scenario({ account: { description: long } }), { seed: 1 });
    const stop = new AbortController();
    const { result } = await run({ account: aborted, steps: stopIn('Shift traffic', stop), signal: stop.signal });
    await cleanUp(aborted, result, 'ABORTED');
    expectSafe(aborted, '12', long);
  });

  it('refuses, before touching the alias, a description that could not be restored whole (254 characters)', async () => {
    const long = 'd'.repeat(254);
    const attack = await run({ account: createSimAccount(scenario({ account: { description: long } }), { seed: 1 }) });

    expectUntouched(attack, 'PlanLimitError');
    expect(attack.result.reason).toMatch(/alias description: 254 characters; Coalmine's owner mark needs \d+ of Lambda's 256/);
  });
});

describe('Plan refuses what AWS would refuse later, before the alias is touched', () => {
  const request = (extra: Record<string, unknown>) => ({ functionName: 'checkout', alias: 'live', candidateVersion: '13', ...extra });
  const dims = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`d${i}`, 'x']));
  const metric = (id: string, dimensions: Record<string, string> = {}) => ({ id, namespace: 'Shop', metricName: 'FailedCheckouts', dimensions });

  it.each([
    ['a schedule past 48 hours and 25,000 events (50 steps × 60 minutes)', request({ strategy: { steps: Array.from({ length: 50 }, (_, i) => i + 1), intervalMinutes: 60 } }), /past the execution's 48 h/],
    ['custom metrics with the same id twice', request({ analysis: { customMetrics: [metric('failed'), metric('failed')] } }), /is used twice/],
    ['a custom metric with 31 dimensions', request({ analysis: { customMetrics: [metric('failed', dims)] } }), /make 31; CloudWatch takes at most 30/],
    ['a step weight that routes nothing (0.00001%)', request({ strategy: { steps: [0.00001, 50], intervalMinutes: 1 } }), /routes nothing/],
  ])('%s', async (_, input, message) => {
    const attack = await run({ request: input });

    expectUntouched(attack, 'PlanLimitError');
    expect(attack.result.reason).toMatch(message);
  });

  it.each([
    ['a candidate that is Pending (SnapStart)', { state: 'Pending', stateReason: 'The function is being created.' }, /is Pending/],
    ['a candidate that is Inactive', { state: 'Inactive' }, /is Inactive/],
    ['a candidate with another execution role', { role: 'arn:aws:iam::123456789012:role/other' }, /same execution role/],
    ['a candidate with another dead-letter queue', { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:other-dlq' }, /same dead-letter configuration/],
  ])('%s', async (_, config, message) => {
    const account = createSimAccount(scenario(), { seed: 1 });
    account.setVersionConfig('13', config);

    const attack = await run({ account });

    expectUntouched(attack, 'PlanLimitError');
    expect(attack.result.reason).toMatch(message);
  });

  it('an SQS canary whose state would come near 256 KiB (a day of queue minutes in the baseline, long custom metrics)', async () => {
    // A day of queue minutes alone is about 150 KiB of state; ten custom metrics with long dimensions add the rest.
    const customMetrics = Array.from({ length: 10 }, (_, i) => ({ id: `m${i}`, namespace: 'Shop', metricName: 'FailedCheckouts', dimensions: { Tenant: 't'.repeat(1000), Region: 'r'.repeat(1000) } }));
    const sqs = scenario({ trigger: 'sqs', traffic: undefined, queue: { messagesPerMinute: 10, batchSize: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 5 }, analysis: { baselineMinutes: 1440, maxExtensionMinutes: 3, customMetrics } });

    const attack = await run({ scenario: sqs, account: createSimAccount(sqs, { seed: 1 }) });

    expectUntouched(attack, 'PlanLimitError');
    expect(attack.result.reason).toMatch(/^PlanLimitError: plan: the canary's state is \d+(\.\d)? KiB; .* lower analysis\.baselineMinutes/);
  });
});
