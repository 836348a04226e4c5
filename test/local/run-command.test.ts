import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/bench/index.ts';
import { coalminePolicy } from '../../src/bench/policies/coalmine.ts';
import { prepareRun, runPolicy } from '../../src/bench/run.ts';
import { BufferOutput } from '../../src/cli/io.ts';
import { runCommand } from '../../src/cli/run.ts';
import type { RunResult } from '../../src/local/record.ts';
import { loadScenario, parseScenario } from '../../src/sim/scenario.ts';
import { cliSandbox, type SandboxIo } from '../helpers/cli-sandbox.ts';

// `coalmine run --local` end to end: the built-in scenarios, the real state machine, Coalmine's judge.

let cwd: string;
let io: SandboxIo;
cliSandbox('coalmine-run-', (dir, captured) => ((cwd = dir), (io = captured)));

const json = (text: string) => JSON.parse(text) as RunResult;

describe('runCommand', () => {
  it('exits 0 when the healthy candidate is promoted, with one JSON object on stdout', async () => {
    const code = await runCommand({ local: true, scenario: 'healthy', seed: 1, json: true }, io);

    const result = json(io.stdout.text);
    expect(code).toBe(0);
    expect(result).toMatchObject({ outcome: 'promoted', alias: { version: '13', routing: {} } });
    expect(io.stdout.text.trim().split('\n')).toHaveLength(1);
    expect(io.stderr.text).toBe('');
  });

  it('exits 3 when a candidate that fails three times as often is rolled back: alias fully on stable', async () => {
    const code = await runCommand({ local: true, scenario: 'error-3x', seed: 1, json: true }, io);

    const result = json(io.stdout.text);
    expect(code).toBe(3);
    expect(result).toMatchObject({ outcome: 'rolled-back', alias: { version: '12', routing: {} } });
    expect(result.steps.at(-1)?.decision).toBe('rollback');
    expect(result.excessFailures).toBeGreaterThanOrEqual(0);
  });

  it('carries an SQS canary’s queue promotion bar in its forecast: the bar the final step was held to', async () => {
    const code = await runCommand({ local: true, scenario: 'sqs-healthy', seed: 1, json: true }, io);

    const result = json(io.stdout.text);
    const bar = result.forecast!.queuePromotionBar!.failureRate!;
    const held = result.steps.flatMap((step) => step.checks.filter((check) => check.name === 'queue').map((check) => check.figures?.['queuePromotionBar'])).filter((figure) => typeof figure === 'number');
    expect(code).toBe(0);
    expect(result.forecast!.guarantee).toContain(`fewer than ${(bar * 100).toFixed(2)}% of the messages it receives`);
    expect(held.length).toBeGreaterThan(0);
    for (const figure of held) expect(figure).toBeCloseTo(bar, 4);
  });

  it('writes the execution record under .coalmine/executions', async () => {
    await runCommand({ local: true, scenario: 'error-3x', seed: 2, json: true }, io);

    const files = readdirSync(join(cwd, '.coalmine', 'executions'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^checkout_live_v13_[0-9a-f]{8}-local-2-\d{8}T\d{9}Z\.json$/);
  });

  it('prints the plan, a line per evaluation, the checks and step trail of the decision, and a summary, with no colour off a terminal', async () => {
    const code = await runCommand({ local: true, scenario: 'error-3x', seed: 1 }, io);

    const lines = io.stdout.text.trim().split('\n');
    expect(code).toBe(3);
    expect(lines[1]).toMatch(/^plan: checkout:live from version 12 to 13, 10% → /);
    expect(lines.filter((line) => /^\+\d+m hold at 10%: baking/.test(line)).length).toBeGreaterThan(0);
    const rollback = lines.findIndex((line) => /^\+\d+m rollback at 10%: /.test(line));
    expect(lines[rollback + 1]).toMatch(/^ {4}✗ errors +candidate fails [\d.]+–∞× as often as stable, 99% sure: roll back$/);
    expect(lines).toContain('    10% ✗ → 25% → 50% → 100%');
    expect(lines.some((line) => line.startsWith('Rolled back: '))).toBe(true);
    expect(io.stdout.text).not.toContain('\x1b[');
  });

  it('colours the decisions on a terminal', async () => {
    const code = await runCommand({ local: true, scenario: 'error-3x', seed: 1 }, { ...io, isTTY: true });

    expect(code).toBe(3);
    expect(io.stdout.text).toContain('\x1b[31m');
  });

  it('exits 2 for a scenario file with a bad field, naming it', async () => {
    writeFileSync(join(cwd, 'odd.json'), JSON.stringify({ name: 'odd', traffic: { requestsPerMinute: 10 }, stable: { errorRate: 2 } }));

    const code = await runCommand({ local: true, scenario: 'odd.json' }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toMatch(/^odd\.json: stable\.errorRate: /);
  });

  it('exits 2, says which field is wrong, and leaves the alias alone when Plan refuses the request', async () => {
    const file = join(cwd, 'request.json');
    writeFileSync(file, JSON.stringify({ functionName: 'checkout', alias: 'live', candidateVersion: '99' }));

    const code = await runCommand({ local: true, scenario: 'healthy', seed: 1, request: 'request.json', json: true }, io);

    const result = json(io.stdout.text);
    expect(code).toBe(2);
    expect(io.stderr.text.trim().split('\n')).toHaveLength(1);
    expect(io.stderr.text).toMatch(/^candidateVersion: /);
    expect(result).toMatchObject({ outcome: 'failed', errorName: 'InvalidVersionError', alias: { version: '12', routing: {} }, steps: [] });
  });

  it.each([
    [{ local: true, scenario: 'no-such-scenario' }, /^scenario: no-such-scenario not found; known: .*healthy/],
    [{ local: true, seed: -1 }, /^--seed: /],
    [{ local: true, seed: '1.5' }, /^--seed: /],
    [{ local: true, seed: 'abc' }, /^--seed: must be a whole number/],
    [{ local: true, request: 'missing.json' }, /^--request: cannot read missing\.json \(ENOENT\)/],
    [{ local: false }, /^--local: .*coalmine start/],
    [{ local: true, scenario: './missing.json' }, /^--scenario: cannot read \.\/missing\.json \(ENOENT\)/],
  ])('exits 2 with one line on stderr for bad options %j', async (options, line) => {
    const code = await runCommand(options, io);

    expect(code).toBe(2);
    expect(io.stderr.text.trim().split('\n')).toHaveLength(1);
    expect(io.stderr.text).toMatch(line);
    expect(io.stdout.text).toBe('');
  });

  it.each([
    ['null', 'null'],
    ['"a string"', 'string'],
    ['[]', 'an array'],
    ['42', 'number'],
  ])('exits 2 for a request file holding %s, before anything runs', async (text, what) => {
    writeFileSync(join(cwd, 'request.json'), text);

    const code = await runCommand({ local: true, request: 'request.json' }, io);

    expect(code).toBe(2);
    expect(io.stderr.text.trim().split('\n')).toHaveLength(1);
    expect(io.stderr.text).toContain(`--request: request.json must hold a JSON object (a request or an EventBridge event), got ${what}`);
    expect(io.stdout.text).toBe('');
  });

  it('names a misspelt required field with its suggestion, whole, and exits 2', async () => {
    writeFileSync(join(cwd, 'request.json'), JSON.stringify({ functonName: 'checkout', alias: 'live', candidateVersion: '13' }));

    const code = await runCommand({ local: true, request: 'request.json' }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toBe('functonName: unknown field; did you mean "functionName"?\n');
  });

  it('exits 2 for a scenario with a misspelt field, naming it, instead of running the default', async () => {
    writeFileSync(join(cwd, 'typo.json'), JSON.stringify({ name: 'typo', traffic: { requestsPerMinute: 600 }, stable: { errorRate: 0.005 }, candidate: { errorRte: 0.05 } }));

    const code = await runCommand({ local: true, scenario: 'typo.json' }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toBe('typo.json: unknown field candidate.errorRte (did you mean "errorRate"?)\n');
  });

  it.each([
    [{ strategy: { steps: [50, 10], intervalMinutes: 5 } }, 'bad.json: strategy.steps[1]: weights must increase, got 50 then 10'],
    [{ strategy: 'Canary5Percent' }, 'bad.json: strategy: unknown strategy "Canary5Percent"; use one of '],
    [{ strategy: 5 }, 'bad.json: strategy: must be a strategy name'],
    [{ account: null }, 'bad.json: account: Invalid input: expected object, received null'],
  ])('exits 2 for a scenario it cannot run (%j), in one line naming the field, before any execution starts', async (field, line) => {
    writeFileSync(join(cwd, 'bad.json'), JSON.stringify({ name: 'bad', traffic: { requestsPerMinute: 600 }, stable: { errorRate: 0.005 }, ...field }));

    const code = await runCommand({ local: true, scenario: 'bad.json', json: true }, io);

    expect(code).toBe(2);
    expect(io.stderr.text.trim().split('\n')).toHaveLength(1);
    expect(io.stderr.text.startsWith(line)).toBe(true);
    expect(JSON.parse(io.stdout.text)).toMatchObject({ outcome: 'failed', error: 'InvalidRequestError' });
    expect(readdirSync(cwd)).toEqual(['bad.json']);
  });

  it('with --json, reports an error as one JSON object on stdout as well', async () => {
    writeFileSync(join(cwd, 'request.json'), '[]');

    const code = await runCommand({ local: true, request: 'request.json', json: true }, io);

    expect(code).toBe(2);
    expect(JSON.parse(io.stdout.text)).toEqual({ outcome: 'failed', error: 'InvalidRequestError', reason: expect.stringContaining('must hold a JSON object') });
    expect(io.stderr.text.trim().split('\n')).toHaveLength(1);
  });

  it('exits 2 for a hostile release event (AllAtOnce for a function that never opted in), naming why, with the alias untouched', async () => {
    const event = { 'detail-type': 'Canary Release Requested', source: 'coalmine', detail: { functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: 'AllAtOnce' } };
    writeFileSync(join(cwd, 'event.json'), JSON.stringify(event));

    const code = await runCommand({ local: true, request: 'event.json', json: true }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toMatch(/^functionName: checkout has not opted in to canaries started by events/);
    expect(json(io.stdout.text)).toMatchObject({ outcome: 'failed', errorName: 'EventNotAllowedError', alias: { version: '12', routing: {} }, steps: [] });
  });

  it('exits 2 for a plan AWS would refuse later, with the numbers', async () => {
    writeFileSync(join(cwd, 'request.json'), JSON.stringify({ functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: { steps: Array.from({ length: 50 }, (_, i) => i + 1), intervalMinutes: 60 } }));

    const code = await runCommand({ local: true, request: 'request.json' }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toMatch(/^strategy: 50 steps × \(60 min \+ up to 120 min of extension\) can take 151\.7 h, past the execution's 48 h/);
  });

  it('exits 2 when the request file is not JSON', async () => {
    writeFileSync(join(cwd, 'broken.json'), '{ "functionName": ');

    const code = await runCommand({ local: true, request: 'broken.json' }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toMatch(/^--request: broken\.json is not JSON/);
  });

  it.each([['null'], ['"checkout"'], ['[{ "functionName": "checkout", "alias": "live", "candidateVersion": "13" }]'], ['13']])('exits 2 for a request file holding %s, not a JSON object, before anything runs', async (text) => {
    writeFileSync(join(cwd, 'request.json'), text);

    const code = await runCommand({ local: true, request: 'request.json' }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toMatch(/^--request: request\.json must hold a JSON object \(a request or an EventBridge event\), got (null|string|an array|number)\n$/);
    expect(io.stdout.text).toBe('');
    expect(readdirSync(cwd)).toEqual(['request.json']);
  });

  it('exits 2 for a number too large to read, naming its field rather than calling it null', async () => {
    // JSON.parse reads 1e400 as Infinity; the state machine's input would carry it on as null.
    writeFileSync(join(cwd, 'request.json'), '{ "functionName": "checkout", "alias": "live", "candidateVersion": "13", "analysis": { "maxP99Ms": 1e400 } }');

    const code = await runCommand({ local: true, request: 'request.json', json: true }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toBe('analysis.maxP99Ms: a number too large to read (beyond ±1.8e308) in request.json\n');
    expect(readdirSync(cwd)).toEqual(['request.json']);
  });
});

/** A function so quiet that no canary can judge it in time: it fails safe, inconclusive. */
const QUIET = {
  name: 'quiet',
  description: 'one request a minute; the step may be extended by 3 minutes at most',
  expect: 'promote',
  minutes: 120,
  traffic: { requestsPerMinute: 1 },
  stable: { errorRate: 0.005 },
  analysis: { maxExtensionMinutes: 3 },
};

describe('runCommand on a canary that cannot decide in time', () => {
  it('exits 4 with rollbackKind "inconclusive", worded apart from a found regression', async () => {
    writeFileSync(join(cwd, 'quiet.json'), JSON.stringify(QUIET));

    const code = await runCommand({ local: true, scenario: 'quiet.json', seed: 1, json: true }, io);

    const result = json(io.stdout.text);
    expect(code).toBe(4);
    expect(result).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'inconclusive', errorName: 'CanaryInconclusive', alias: { version: '12', routing: {} } });
    expect(result.reason).toMatch(/^inconclusive, no regression found/);
    expect(result.steps.at(-1)).toMatchObject({ decision: 'rollback', rollbackKind: 'inconclusive' });
  });

  it('says "Rolled back (inconclusive)" in the summary, in yellow on a terminal, not in red', async () => {
    writeFileSync(join(cwd, 'quiet.json'), JSON.stringify(QUIET));

    const code = await runCommand({ local: true, scenario: 'quiet.json', seed: 1 }, { ...io, isTTY: true });

    expect(code).toBe(4);
    expect(io.stdout.text).toContain('\x1b[33m\x1b[1mRolled back (inconclusive)');
    expect(io.stdout.text).toContain('rollback (inconclusive)');
  });

  it('gives a found regression rollbackKind "regression" and exit 3', async () => {
    const code = await runCommand({ local: true, scenario: 'error-10x', seed: 1, json: true }, io);

    expect(code).toBe(3);
    expect(json(io.stdout.text)).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'regression', errorName: 'CanaryRolledBack' });
  });

  it('ends the same way in the bench as in run --local, for the same scenario and seed', async () => {
    writeFileSync(join(cwd, 'quiet.json'), JSON.stringify(QUIET));
    const seed = 1;
    const bench = runBench({ scenarios: [parseScenario(QUIET, 'quiet.json'), loadScenario('error-10x')], seeds: 1, firstSeed: seed, policies: ['coalmine'] });
    const row = (name: string) => bench.results.find((r) => r.scenario === name)!;

    await runCommand({ local: true, scenario: 'quiet.json', seed, json: true }, io);
    const quiet = json(io.stdout.text);
    io.stdout.text = '';
    await runCommand({ local: true, scenario: 'error-10x', seed, json: true }, io);
    const regression = json(io.stdout.text);

    expect([quiet.rollbackKind, row('quiet')]).toMatchObject(['inconclusive', { rolledBack: 1, inconclusive: 1 }]);
    expect([regression.rollbackKind, row('error-10x')]).toMatchObject(['regression', { rolledBack: 1, inconclusive: 0 }]);
  });

  it('decides at the same minute in the bench as in run --local: the bench keeps the state machine’s clock', async () => {
    // Each step is held while its last minute settles, and a decision comes a minute after the last
    // minute it counts; a bench that judged each minute as it ended was a few minutes early per canary.
    for (const [name, seed] of [['healthy', 1], ['healthy', 3], ['error-2x', 2]] as const) {
      const bench = runPolicy(coalminePolicy, prepareRun(loadScenario(name), seed));
      io.stdout.text = '';
      await runCommand({ local: true, scenario: name, seed, json: true }, io);
      const local = json(io.stdout.text);

      expect(local.outcome).toBe(bench.outcome);
      expect(Math.abs(local.minutesToDecision! - bench.minutesToDecision!)).toBeLessThanOrEqual(1.1);
    }
  });
});

describe('runCommand on a canary that asks for approval', () => {
  const approvalRequest = () => {
    const path = join(cwd, 'request.json');
    writeFileSync(path, JSON.stringify({ functionName: 'checkout', alias: 'live', candidateVersion: '13', approval: 'before-promote' }));
    return path;
  };

  it('promotes with --approve yes (the default), saying who approved', async () => {
    const code = await runCommand({ local: true, scenario: 'healthy', seed: 1, request: approvalRequest(), json: true }, io);

    expect(code).toBe(0);
    expect(json(io.stdout.text)).toMatchObject({ outcome: 'promoted', reason: expect.stringMatching(/approved by the local run \(--approve yes\)/) });
  });

  it('with --approve no, exits 3 with rollbackKind "rejected" and says "Rolled back (rejected)", the alias on stable', async () => {
    const code = await runCommand({ local: true, scenario: 'healthy', seed: 1, request: approvalRequest(), approve: 'no' }, io);

    expect(code).toBe(3);
    expect(io.stdout.text).toMatch(/Rolled back \(rejected\)/);
    expect(io.stdout.text).toMatch(/rejected by the local run \(--approve no\)/);

    io.stdout = new BufferOutput();
    await runCommand({ local: true, scenario: 'healthy', seed: 1, request: approvalRequest(), approve: 'no', json: true }, io);
    expect(json(io.stdout.text)).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'rejected', errorName: 'CanaryRejected', alias: { version: '12', routing: {} } });
  });

  it('exits 2 for an answer that is neither yes nor no, naming the option', async () => {
    const code = await runCommand({ local: true, scenario: 'healthy', approve: 'maybe' as 'yes' }, io);

    expect(code).toBe(2);
    expect(io.stderr.text.trim()).toBe('--approve: must be yes or no');
  });
});
