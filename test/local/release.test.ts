import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cli/run.ts';
import { parseRelease } from '../../src/core/release.ts';
import { runLocalRelease, type ReleaseResult } from '../../src/local/release.ts';
import { runLocal } from '../../src/local/runner.ts';
import type { PutEventsEntry } from '../../src/sim/account/index.ts';
import { loadScenario } from '../../src/sim/scenario.ts';
import { cliSandbox, type SandboxIo } from '../helpers/cli-sandbox.ts';

// Releases in waves, end to end: the real release.asl.json over the real canary.asl.json, one
// simulated function per target.

const target = (region: string, scenario: string, extra: Record<string, unknown> = {}) => ({ region, functionName: 'checkout', alias: 'live', candidateVersion: '13', scenario, ...extra });

function twoWaves(onFailure: 'stop' | 'roll-back-all', secondWave: ReturnType<typeof target>[]) {
  return {
    name: 'checkout-13',
    onFailure,
    waves: [
      { name: 'first region', bakeMinutes: 30, targets: [target('eu-west-3', 'healthy')] },
      { name: 'the rest', bakeMinutes: 10, targets: secondWave },
      { name: 'last', targets: [target('ap-south-1', 'healthy')] },
    ],
  };
}

const aliases = (result: ReleaseResult) => result.waves.flatMap((wave) => wave.targets.map((t) => `${t.region}=${t.alias.version}${Object.keys(t.alias.routing).length ? '+routing' : ''}`));

function run(release: unknown, faults?: Parameters<typeof runLocalRelease>[0]['faults']) {
  return runLocalRelease({ release: parseRelease(release), seed: 1, scenarioOf: loadScenario, ...(faults ? { faults } : {}) });
}

describe('a release in waves, run locally', () => {
  it('stops at the wave whose region rolls back and, with roll-back-all, leaves every alias on its stable version', async () => {
    const result = await run(twoWaves('roll-back-all', [target('eu-west-1', 'healthy'), target('us-east-1', 'error-3x')]));

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.reason).toMatch(/^stopped at us-east-1\/checkout:live in wave "the rest"/);
    expect(result.waves.map((wave) => wave.outcome)).toEqual(['rolled-back', 'rolled-back', 'skipped']);
    expect(aliases(result)).toEqual(['eu-west-3=12', 'eu-west-1=12', 'us-east-1=12', 'ap-south-1=12']);
    expect(result.waves[0]!.targets[0]!.reason).toMatch(/put back on version 12 when the release rolled back/);
  });

  it('with onFailure stop, leaves the earlier waves promoted and starts no later wave', async () => {
    const result = await run(twoWaves('stop', [target('us-east-1', 'error-3x')]));

    expect(result.outcome).toBe('rolled-back');
    expect(result.waves.map((wave) => wave.outcome)).toEqual(['promoted', 'rolled-back', 'skipped']);
    expect(aliases(result)).toEqual(['eu-west-3=13', 'us-east-1=12', 'ap-south-1=12']);
  });

  it('ends rolled back, not failed, when its first wave rolls back (one wave reached)', async () => {
    const result = await run({ name: 'checkout-13', onFailure: 'roll-back-all', waves: [{ name: 'first region', targets: [target('eu-west-3', 'error-3x')] }, { name: 'the rest', targets: [target('us-east-1', 'healthy')] }] });

    expect(result.outcome).toBe('rolled-back');
    expect(result.rollbackKind).toBe('regression');
    expect(result.waves.map((wave) => wave.outcome)).toEqual(['rolled-back', 'skipped']);
    expect(aliases(result)).toEqual(['eu-west-3=12', 'us-east-1=12']);
  });

  it('promotes everywhere when every target is healthy, wave after wave', async () => {
    const events: string[] = [];
    const result = await runLocalRelease({
      release: parseRelease(twoWaves('roll-back-all', [target('eu-west-1', 'healthy'), target('us-east-1', 'healthy-bursty')])),
      seed: 2,
      scenarioOf: loadScenario,
      onEvent: (event) => events.push(event.type === 'wave-started' ? `wave ${event.name}` : event.type === 'bake' ? `bake ${event.seconds}` : event.type),
    });

    expect(result.outcome).toBe('promoted');
    expect(result.waves.map((wave) => wave.outcome)).toEqual(['promoted', 'promoted', 'promoted']);
    expect(aliases(result)).toEqual(['eu-west-3=13', 'eu-west-1=13', 'us-east-1=13', 'ap-south-1=13']);
    // Waves in order, a bake between them, none after the last.
    expect(events.filter((e) => e.startsWith('wave') || e.startsWith('bake'))).toEqual(['wave first region', 'bake 1800', 'wave the rest', 'bake 600', 'wave last']);
  });
});

describe('targets in other regions than Coalmine\'s (us-east-1 locally)', () => {
  it('send every call of a target\'s canary to the target\'s region, none to Coalmine\'s for a target elsewhere', async () => {
    const calls: { target: string; region: string; port: string; method: string }[] = [];
    const result = await runLocalRelease({
      release: parseRelease(twoWaves('roll-back-all', [target('us-east-1', 'healthy'), target('sa-east-1', 'healthy')])),
      seed: 3,
      scenarioOf: loadScenario,
      onPortCall: (call) => calls.push(call),
    });

    expect(result.outcome).toBe('promoted');
    const byTarget = new Map<string, typeof calls>();
    for (const call of calls) byTarget.set(call.target, [...(byTarget.get(call.target) ?? []), call]);
    expect([...byTarget.keys()].sort()).toEqual(['ap-south-1/checkout:live', 'eu-west-3/checkout:live', 'sa-east-1/checkout:live', 'us-east-1/checkout:live']);
    for (const [key, made] of byTarget) {
      expect(new Set(made.map((call) => call.region)), key).toEqual(new Set([key.split('/')[0]]));
      expect(made.filter((call) => call.method === 'updateAlias').length, key).toBeGreaterThan(0);
    }
  });
});

describe('faults in the release\'s own states', () => {
  it('a canary that cannot be started stops the release, and roll-back-all restores what was promoted', async () => {
    const refused = new Error('Rate exceeded');
    refused.name = 'StepFunctions.ExecutionLimitExceededException';
    const result = await run(twoWaves('roll-back-all', [target('us-east-1', 'healthy')]), {
      startExecution: (t) => (t.region === 'us-east-1' ? refused : undefined),
    });

    expect(result.outcome).toBe('failed');
    expect(result.rollbackKind).toBe('error');
    expect(aliases(result)).toEqual(['eu-west-3=12', 'us-east-1=12', 'ap-south-1=12']);
  });

  it('a restore that fails ends the release failed, with every alias on one version and none split', async () => {
    const broken = new Error('socket hang up');
    broken.name = 'NetworkingError';
    const result = await run(twoWaves('roll-back-all', [target('us-east-1', 'error-3x')]), { restore: () => broken });

    expect(result.outcome).toBe('failed');
    expect(result.errorName).toBe('ReleaseFailed');
    // The promoted alias could not be put back: it stays wholly on the candidate, never split.
    expect(aliases(result)).toEqual(['eu-west-3=13', 'us-east-1=12', 'ap-south-1=12']);
  });
});

describe('the release\'s outcome event', () => {
  async function announced(release: unknown) {
    const entries: PutEventsEntry[] = [];
    const result = await runLocalRelease({ release: parseRelease(release), seed: 1, scenarioOf: loadScenario, onEvent: (event) => event.type === 'announced' && entries.push(event.entry) });
    return { result, entries };
  }

  it('announces a release that rolled back on Coalmine\'s bus, its waves oldest first with each target\'s outcome and canary', async () => {
    const { entries } = await announced(twoWaves('roll-back-all', [target('us-east-1', 'error-3x')]));

    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({ Source: 'coalmine', DetailType: 'Release Rolled Back', EventBusName: 'coalmine-local-EventBusName' });
    const detail = entry!.Detail as unknown as { release: string; result: string; onFailure: string; waves: { name: string; targets: { region: string; ended: string; execution: string }[] }[] };
    expect(detail).toMatchObject({ release: 'checkout-13', result: 'rolled-back', onFailure: 'roll-back-all' });
    expect(detail.waves.map((wave) => [wave.name, wave.targets.map((t) => `${t.region} ${t.ended}`)])).toEqual([
      ['first region', ['eu-west-3 promoted']],
      ['the rest', ['us-east-1 not-promoted']],
    ]);
    for (const t of detail.waves.flatMap((wave) => wave.targets)) expect(t.execution).toMatch(/^arn:aws:states:us-east-1:123456789012:execution:coalmine-canary:release-[0-9a-f]{32}-\d+-0$/);
  });

  it('announces a release that promoted everywhere with every wave it ran', async () => {
    const { result, entries } = await announced(twoWaves('stop', [target('eu-west-1', 'healthy')]));

    expect(result.outcome).toBe('promoted');
    expect(entries.map((entry) => entry.DetailType)).toEqual(['Release Promoted']);
    expect((entries[0]!.Detail as unknown as { waves: { name: string }[] }).waves.map((wave) => wave.name)).toEqual(['first region', 'the rest', 'last']);
  });
});

describe('faults inside a wave: every alias ends wholly on one version', () => {
  /** Every alias fully on one version: no routing left anywhere. */
  const unsplit = (result: ReleaseResult) => result.waves.every((wave) => wave.targets.every((t) => Object.keys(t.alias.routing).length === 0));
  const slow = { strategy: { steps: [5, 10, 20, 30, 40], intervalMinutes: 10 } };

  it('a canary that rolls back stops its siblings still running: each is cleaned up onto its stable version', async () => {
    const result = await run(twoWaves('stop', [target('us-east-1', 'healthy', slow), target('eu-west-1', 'error-3x')]));

    expect(result.outcome).toBe('rolled-back');
    expect(result.reason).toMatch(/^stopped at eu-west-1\/checkout:live in wave "the rest"/);
    const sibling = result.waves[1]!.targets.find((t) => t.region === 'us-east-1')!;
    expect(sibling.outcome).toBe('rolled-back');
    expect(sibling.reason).toMatch(/^stopped: eu-west-1\/checkout:live did not promote in the same wave; .*alias checkout:live restored to version 12/);
    // onFailure stop: the earlier wave stays promoted; the stopped sibling is back on stable.
    expect(aliases(result)).toEqual(['eu-west-3=13', 'us-east-1=12', 'eu-west-1=12', 'ap-south-1=12']);
  });

  it('a canary stopped by hand fails its target: it is cleaned up, its siblings stop, and roll-back-all restores what was promoted', async () => {
    const result = await run(twoWaves('roll-back-all', [target('eu-west-1', 'healthy', slow), target('us-east-1', 'healthy', slow)]), {
      stopByHand: (t) => (t.region === 'us-east-1' ? new Promise((resolve) => setTimeout(resolve, 50)) : undefined),
    });

    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/^stopped at us-east-1\/checkout:live in wave "the rest", which failed: ExecutionAbortedError/);
    expect(result.waves[1]!.targets.find((t) => t.region === 'eu-west-1')!.reason).toMatch(/^stopped: us-east-1\/checkout:live did not promote/);
    expect(aliases(result)).toEqual(['eu-west-3=12', 'eu-west-1=12', 'us-east-1=12', 'ap-south-1=12']);
    expect(unsplit(result)).toBe(true);
  });

  it('a stop that fails fails the wave\'s Map: its running canaries are stopped, and what it promoted is read from each canary\'s record and restored', async () => {
    let promotedFirst: () => void = () => undefined;
    const firstPromoted = new Promise<void>((resolve) => (promotedFirst = resolve));
    const refused = Object.assign(new Error('Rate exceeded'), { name: 'StepFunctions.ExecutionLimitExceededException' });
    const denied = Object.assign(new Error('not authorized to perform: states:StopExecution'), { name: 'Sfn.AccessDeniedException' });
    const release = { name: 'checkout-13', onFailure: 'roll-back-all', waves: [{ name: 'everywhere', targets: [target('eu-west-1', 'healthy'), target('us-east-1', 'healthy'), target('ap-south-1', 'healthy', slow)] }] };
    const result = await runLocalRelease({
      release: parseRelease(release),
      seed: 1,
      scenarioOf: loadScenario,
      // us-east-1's canary cannot start, and only once eu-west-1's promoted; then no stop goes through.
      faults: { startExecution: async (t) => (t.region === 'us-east-1' ? (await firstPromoted, refused) : undefined), stopExecution: () => denied },
      onEvent: (event) => {
        if (event.type === 'target-ended' && event.result.outcome === 'promoted') promotedFirst();
      },
    });

    const [promoted, unstarted, running] = result.waves[0]!.targets;
    expect(promoted!.reason).toMatch(/^promoted, then put back on version 12 when the release rolled back/);
    expect(unstarted!.outcome).toBe('skipped');
    expect(running!.reason).toMatch(/^stopped: the wave's Map failed; .*restored to version 12/);
    expect(result.outcome).toBe('failed');
    expect(aliases(result)).toEqual(['eu-west-1=12', 'us-east-1=12', 'ap-south-1=12']);
    expect(unsplit(result)).toBe(true);
  });
});

describe('what Coalmine reads only in its own region (its state machine\'s service integrations)', () => {
  const oneWave = (t: ReturnType<typeof target>) => ({ name: 'checkout-13', onFailure: 'stop', waves: [{ name: 'only', targets: [t] }] });

  it('judges cold starts of a target in Coalmine\'s region, and leaves them unjudged for a target elsewhere', async () => {
    const home = await run(oneWave(target('us-east-1', 'cold-start-4x')));
    const elsewhere = await run(oneWave(target('eu-west-3', 'cold-start-4x')));

    expect(home.outcome).toBe('rolled-back');
    expect(elsewhere.outcome).toBe('promoted');
  });

  it('refuses gate alarms for a target elsewhere, naming the field, with the alias untouched', async () => {
    const result = await run(oneWave(target('eu-west-3', 'healthy', { gates: { alarms: ['checkout-5xx'] } })));

    expect(result.outcome).not.toBe('promoted');
    const refused = result.waves[0]!.targets[0]!;
    expect(refused.errorName).toBe('InvalidRequestError');
    expect(refused.reason).toMatch(/gates\.alarms: a running canary reads its alarms in Coalmine's own region \(us-east-1\), and checkout is in eu-west-3/);
    expect(refused.alias).toEqual({ name: 'live', version: '12', routing: {} });
  });
});

describe('a single canary whose request names a region where its function is not', () => {
  it('is refused by Plan, naming the region, before the alias is touched', async () => {
    const result = await runLocal({ scenario: loadScenario('healthy'), seed: 1, request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', region: 'eu-west-1' } });

    expect(result).toMatchObject({ outcome: 'failed', errorName: 'FunctionNotFoundError', alias: { version: '12', routing: {} } });
    expect(result.reason).toMatch(/region: eu-west-1 is where the request says checkout is, but the function Coalmine found is in us-east-1/);
  });
});

describe('coalmine run --local --release', () => {
  let cwd: string;
  let io: SandboxIo;
  cliSandbox('coalmine-release-', (dir, captured) => ((cwd = dir), (io = captured)));

  it('prints the waves and their targets as they run, and exits 3 when the release rolled back', async () => {
    writeFileSync(join(cwd, 'r.json'), JSON.stringify(twoWaves('roll-back-all', [target('us-east-1', 'error-3x')])));
    const code = await runCommand({ local: true, release: 'r.json', seed: 1 }, io);

    expect(code).toBe(3);
    expect(io.stdout.text).toMatch(/Wave 1: first region\n {2}eu-west-3\/checkout:live: canary started\n {2}eu-west-3\/checkout:live: promoted/);
    expect(io.stdout.text).toMatch(/Wave 2: the rest/);
    expect(io.stdout.text).not.toMatch(/Wave 3/);
    expect(io.stdout.text).toMatch(/roll back the release · eu-west-3\/checkout:live: put back on version 12/);
    expect(io.stdout.text).toMatch(/ap-south-1 checkout:live {2}skipped/);
  });

  it('refuses a bad release file with one line naming the field, exit 2, before any canary runs', async () => {
    const release = twoWaves('roll-back-all', [target('us-east-1', 'healthy', { alais: 'live' })]);
    writeFileSync(join(cwd, 'r.json'), JSON.stringify(release));
    const code = await runCommand({ local: true, release: 'r.json', json: true }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toBe('waves[1].targets[0].alais: unknown field; did you mean "alias"?\n');
    expect(JSON.parse(io.stdout.text)).toEqual({ outcome: 'failed', error: 'InvalidRequestError', reason: 'waves[1].targets[0].alais: unknown field; did you mean "alias"?' });
  });

  it('names the target whose scenario is not found, exit 2, before its first wave runs', async () => {
    writeFileSync(join(cwd, 'r.json'), JSON.stringify(twoWaves('stop', [target('us-east-1', 'no-such-scenario')])));
    const code = await runCommand({ local: true, release: 'r.json', json: true }, io);

    expect(code).toBe(2);
    expect(io.stderr.text).toMatch(/^waves\[1\]\.targets\[0\]\.scenario: no-such-scenario not found; known: /);
    expect(io.stderr.text.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(cwd, '.coalmine'))).toBe(false);
  });
});

describe('parseRelease', () => {
  const base = twoWaves('stop', [target('us-east-1', 'healthy')]);
  it.each([
    [{ ...base, waves: [] }, 'waves: must hold at least one wave'],
    [{ ...base, onFailure: 'rollback' }, 'onFailure: must be "stop" or "roll-back-all"'],
    [{ ...base, wave: [] }, 'wave: unknown field; did you mean "waves"?'],
    [{ ...base, waves: [{ name: 'w', bake: 30, targets: [target('eu-west-1', 'healthy')] }] }, 'waves[0].bake: unknown field; did you mean "bakeMinutes"?'],
    [{ ...base, waves: [{ name: 'w', targets: [{ ...target('mars-1', 'healthy') }] }] }, 'waves[0].targets[0].region: must be a region name, e.g. eu-west-1'],
    [{ ...base, waves: [{ name: 'w', bakeMinutes: -5, targets: [target('eu-west-1', 'healthy')] }] }, 'waves[0].bakeMinutes: Too small: expected number to be >=0'],
    [{ ...base, waves: [{ name: 'w', targets: [{ region: 'eu-west-1', alias: 'live', candidateVersion: '13' }] }] }, 'waves[0].targets[0].functionName: is required'],
    [{ ...base, waves: [{ name: 'w', targets: [target('eu-west-1', 'healthy'), target('eu-west-1', 'error-3x')] }] }, 'waves[0].targets[1]: eu-west-1/checkout:live is already a target of this release; a release changes each alias once'],
    [null, 'release: must be a JSON object, got null'],
    // The release hands its canary the function's name alone, in the target's region: the ARN's region would be lost.
    [{ ...base, waves: [{ name: 'w', targets: [target('eu-west-1', 'healthy', { functionName: 'arn:aws:lambda:us-east-1:123456789012:function:checkout' })] }] }, "waves[0].targets[0].functionName: arn:aws:lambda:us-east-1:123456789012:function:checkout is in us-east-1, not in the target's region eu-west-1"],
    // JSON.parse keeps "__proto__" as a field, as a file holds it.
    [{ ...base, waves: [{ name: 'w', targets: [{ ...target('eu-west-1', 'healthy'), ...JSON.parse('{"__proto__":{"strategy":"AllAtOnce"}}') }] }] }, 'waves[0].targets[0].__proto__: unknown field'],
  ])('refuses %j with one line naming the field', (input, line) => {
    expect(() => parseRelease(input)).toThrow(expect.objectContaining({ name: 'InvalidRequestError', message: line }));
  });

  it('passes each target to its canary as a request with its region, and each bake in seconds', () => {
    const release = parseRelease(base);
    expect(release.input.waves[0]).toEqual({ name: 'first region', bakeSeconds: 1800, targets: [{ region: 'eu-west-3', functionName: 'checkout', alias: 'live', candidateVersion: '13' }] });
    expect(release.input.waves[2]!.bakeSeconds).toBe(0);
    expect(release.scenarios.get('eu-west-3/checkout:live')).toBe('healthy');
  });
});
