import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessDeniedError, ThrottledError } from '../../src/core/errors.ts';
import { DEFINITION_PATH, prepareDefinition } from '../../src/local/definition.ts';
import type { ExecutionRecord } from '../../src/local/record.ts';
import { asLambdaError, runLocal, type ProgressEvent } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { parseScenario } from '../../src/sim/scenario.ts';
import { judgeFailing, judgePassingAfter, scenarioMaker } from '../helpers/factories.ts';

// These tests drive the real statemachine/canary.asl.json and step code with a stand-in judge, so
// that what they check (the runner's wiring) does not depend on the statistics.

const failAlways = judgeFailing('the candidate is worse');

const scenario = scenarioMaker({
  name: 'runner-test',
  minutes: 60,
  traffic: { requestsPerMinute: 600 },
  stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 400 } },
  strategy: { steps: [10, 50], intervalMinutes: 3 },
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('runLocal', () => {
  it('promotes through the real state machine: alias fully on the candidate, no routing, announced', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });

    const result = await runLocal({ scenario: scenario(), seed: 1, account, judge: judgePassingAfter(100) });

    expect(result.outcome).toBe('promoted');
    expect(result.alias).toEqual({ version: '13', routing: {} });
    expect(result.errorName).toBeUndefined();
    expect(result.steps.map((step) => step.weight)).toContain(50);
    expect(result.steps.at(-1)?.decision).toBe('promote');
    expect(account.events.map((event) => event.detailType)).toEqual(['Canary Promoted']);
    expect(account.aliasNow().description).toBe('');
  });

  it('rolls back when the judge fails the candidate: alias fully on stable, no routing', async () => {
    const account = createSimAccount(scenario(), { seed: 1 });

    const result = await runLocal({ scenario: scenario(), seed: 1, account, judge: failAlways });

    expect(result).toMatchObject({ outcome: 'rolled-back', errorName: 'CanaryRolledBack', alias: { version: '12', routing: {} } });
    expect(result.reason).toContain('the candidate is worse');
    expect(result.steps).toHaveLength(1);
    expect(result.minutesToDecision).toBe(result.steps[0]!.minute);
    expect(account.events.map((event) => event.detailType)).toEqual(['Canary Rolled Back']);
  });

  it('moves the simulated clock to where each Bake would have ended before Evaluate looks', async () => {
    const events: ProgressEvent[] = [];

    await runLocal({ scenario: scenario(), seed: 2, judge: judgePassingAfter(100), onEvent: (event) => events.push(event) });

    const bakes = events.flatMap((event) => (event.type === 'state' && event.event.state === 'Bake' ? [event.event] : []));
    const entered = bakes.filter((event) => event.type === 'StateEntered');
    const exited = bakes.filter((event) => event.type === 'StateExited');
    expect(exited.length).toBeGreaterThan(1);
    exited.forEach((exit, index) => {
      const wanted = (entered[index]!.input as { progress: { nextEvaluationAt: string } }).progress.nextEvaluationAt;
      expect(exit.at).toBe(new Date(Math.max(Date.parse(wanted), Date.parse(entered[index]!.at))).toISOString());
    });
  });

  it('retries a throttled alias update by its error name and still promotes', async () => {
    const account = createSimAccount(scenario(), { seed: 3 });
    account.faults.inject({ call: 'router.updateAlias', error: () => new ThrottledError('Rate exceeded'), after: 1, times: 2 });
    const events: ProgressEvent[] = [];

    const result = await runLocal({ scenario: scenario(), seed: 3, account, judge: judgePassingAfter(100), onEvent: (event) => events.push(event) });

    const retried = events.filter((event) => event.type === 'state' && event.event.type === 'StateRetried');
    expect(retried).toHaveLength(2);
    expect(result.outcome).toBe('promoted');
  });

  it('catches an error that is not retried, rolls back, and fails with the original error', async () => {
    const account = createSimAccount(scenario(), { seed: 3 });
    account.faults.inject({ call: 'router.updateAlias', error: () => new AccessDeniedError('lambda:UpdateAlias denied'), after: 1, times: 1 });

    const result = await runLocal({ scenario: scenario(), seed: 3, account, judge: judgePassingAfter(100) });

    expect(result).toMatchObject({ outcome: 'failed', errorName: 'AccessDeniedError', alias: { version: '12', routing: {} } });
    expect(result.reason).toContain('lambda:UpdateAlias denied');
    expect(account.aliasNow().description).toBe('');
  });

  it('stops and leaves the change alone when someone changes the alias by hand mid-canary', async () => {
    const account = createSimAccount(scenario(), { seed: 3 });
    account.at(2, () => account.changeAliasByHand({ version: '11', weights: {} }));

    const result = await runLocal({ scenario: scenario(), seed: 3, account, judge: judgePassingAfter(100_000) });

    expect(result).toMatchObject({ outcome: 'failed', errorName: 'AliasChangedError', alias: { version: '11', routing: {} } });
    expect(account.aliasNow().description).toBe('');
  });

  it('fails with a bad-input error and leaves the alias untouched when the request is bad', async () => {
    const account = createSimAccount(scenario(), { seed: 4 });
    const before = account.aliasNow();

    const result = await runLocal({ scenario: scenario(), seed: 4, account, judge: judgePassingAfter(100), request: { functionName: 'checkout', alias: 'live', candidateVersion: '99' } });

    expect(result).toMatchObject({ outcome: 'failed', errorName: 'InvalidVersionError', steps: [], minutesToDecision: null });
    expect(result.reason).toContain('candidateVersion');
    expect(account.aliasNow()).toEqual(before);
  });

  it('gives the same result for the same scenario and seed', async () => {
    const run = () => runLocal({ scenario: scenario({ candidate: { errorRate: 0.05 } }), seed: 8, judge: judgePassingAfter(400) });

    expect(await run()).toEqual(await run());
  });

  it('finds Task states by their function placeholder, not by their names', async () => {
    const renamed = readFileSync(DEFINITION_PATH, 'utf8').replaceAll('"Shift traffic"', '"Move the weights"').replaceAll('"Evaluate the canary"', '"Look at the metrics"');

    const result = await runLocal({ scenario: scenario(), seed: 1, judge: judgePassingAfter(100), definition: renamed });

    expect(result.outcome).toBe('promoted');
    expect(result.steps.length).toBeGreaterThan(0);
  });

  it('reports where every message went for an SQS scenario, none lost', async () => {
    const sqs = parseScenario(
      {
        name: 'runner-sqs',
        trigger: 'sqs',
        minutes: 40,
        queue: { messagesPerMinute: 120, batchSize: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 3 },
        stable: { errorRate: 0.002, latencyMs: { median: 40, p99: 200 } },
        strategy: { steps: [20], intervalMinutes: 3 },
      },
      'runner-sqs.json',
    );

    const result = await runLocal({ scenario: sqs, seed: 6, judge: judgePassingAfter(10) });

    expect(result.outcome).toBe('promoted');
    expect(result.queue?.sent).toBeGreaterThan(0);
    expect(result.queue?.lost).toBe(0);
  });

  it('writes the execution record the console reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-records-'));
    dirs.push(dir);

    const result = await runLocal({ scenario: scenario(), seed: 5, judge: failAlways, record: true, recordDir: dir });

    const record = JSON.parse(readFileSync(result.record!, 'utf8')) as ExecutionRecord;
    expect(record.name).toBe(result.execution);
    expect(result.execution).toMatch(/^checkout_live_v13_[0-9a-f]{8}-local-5$/);
    expect(record.result.outcome).toBe('rolled-back');
    expect(record.scenario.name).toBe('runner-test');
    expect(record.events[0]!.type).toBe('ExecutionStarted');
    expect(record.events.at(-1)!.type).toBe('ExecutionFailed');
    // Warm-up, then the canary to its horizon.
    expect(record.series.at(-1)!.minute).toBe(new Date(Date.parse('2026-01-05T09:00:00Z') + 59 * 60_000).toISOString());
    expect(record.series.some((point) => point.weight === 10 && point.candidate !== null)).toBe(true);
  });
});

describe('asLambdaError', () => {
  it('keeps the error name for Retry and Catch, and reports the cause as Lambda does', () => {
    const error = asLambdaError(new ThrottledError('Rate exceeded'));

    expect(error.name).toBe('ThrottledError');
    expect(JSON.parse(error.message)).toMatchObject({ errorType: 'ThrottledError', errorMessage: 'Rate exceeded' });
  });
});

describe('prepareDefinition', () => {
  it('refuses a Task it cannot run, naming the state', () => {
    const text = JSON.stringify({ StartAt: 'Odd', States: { Odd: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${OddFunctionArn}' }, End: true } } });

    expect(() => prepareDefinition(text)).toThrow(/state "Odd"/);
  });
});
