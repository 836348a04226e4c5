import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/index.ts';
import { benchCommand, type BenchEngine } from '../../src/cli/bench.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { runCommand } from '../../src/cli/run.ts';
import { buildRequest, parseStartOptions } from '../../src/cli/start.ts';
import { BUILT_IN_SCENARIOS_DIR } from '../../src/sim/scenario.ts';
import { cliSandbox, type SandboxIo } from '../helpers/cli-sandbox.ts';

// Bad and extreme input: each is refused with exit 2 and one line naming the field and why, before anything runs.

const HEALTHY = JSON.parse(readFileSync(join(BUILT_IN_SCENARIOS_DIR, 'healthy.json'), 'utf8')) as Record<string, unknown>;
const SQS_HEALTHY = JSON.parse(readFileSync(join(BUILT_IN_SCENARIOS_DIR, 'sqs-healthy.json'), 'utf8')) as Record<string, unknown>;

let cwd: string;
let io: SandboxIo;
cliSandbox('coalmine-bad-input-', (dir, captured) => ((cwd = dir), (io = captured)));

function file(name: string, content: unknown): string {
  writeFileSync(join(cwd, name), typeof content === 'string' ? content : JSON.stringify(content));
  return `./${name}`;
}

async function runScenario(scenario: unknown, options: { request?: unknown; json?: boolean } = {}) {
  const request = options.request === undefined ? {} : { request: file('request.json', options.request) };
  const code = await runCommand({ local: true, scenario: file('scenario.json', scenario), json: options.json ?? false, ...request }, io);
  return { code, stderr: io.stderr.text, stdout: io.stdout.text };
}

describe('a scenario that asks too much of the simulator', () => {
  it('is refused when its horizon is beyond a week, naming minutes', async () => {
    const { code, stderr } = await runScenario({ ...HEALTHY, minutes: 10_081 });
    expect(code).toBe(2);
    expect(stderr).toBe('./scenario.json: minutes: at most 10080 (a week)\n');
  });

  it('accepts a horizon of exactly a week', async () => {
    const { code } = await runScenario({ ...HEALTHY, minutes: 10_080 });
    expect(code).toBe(0);
  });

  it('is refused when its requests a minute are beyond a billion', async () => {
    const { code, stderr } = await runScenario({ ...HEALTHY, traffic: { requestsPerMinute: 1e12 } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^\.\/scenario\.json: traffic\.requestsPerMinute: 1,000,000,000,000 a minute is beyond the simulator's 1,000,000,000 a minute\n$/);
  });

  it('is refused when the peak of diurnal or bursty traffic is beyond a billion, though its base rate is not', async () => {
    const diurnal = await runScenario({ ...HEALTHY, traffic: { requestsPerMinute: 4e8, pattern: 'diurnal', amplitude: 2 } });
    expect(diurnal.code).toBe(2);
    expect(diurnal.stderr).toMatch(/traffic\.requestsPerMinute: 400,000,000 a minute \(× 3 at the diurnal peak\) is beyond/);

    io.stderr.text = '';
    const bursty = await runScenario({ ...HEALTHY, traffic: { requestsPerMinute: 2e8, pattern: 'bursty', amplitude: 6 } });
    expect(bursty.code).toBe(2);
    expect(bursty.stderr).toMatch(/traffic\.requestsPerMinute: 200,000,000 a minute \(× 6 at the bursty peak\) is beyond/);
  });

  it('is refused when the queue model would follow more than ten million messages, warm-up included', async () => {
    const { code, stderr } = await runScenario({ ...SQS_HEALTHY, queue: { ...(SQS_HEALTHY.queue as object), messagesPerMinute: 70_000 } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^\.\/scenario\.json: queue\.messagesPerMinute: 70,000 a minute for 150 minutes \(the warm-up included\) is 10,500,000 messages; the queue model follows at most 10,000,000/);
  });

  it('is refused when a duration is beyond the 15 minutes Lambda runs an invocation for', async () => {
    const { code, stderr } = await runScenario({ ...HEALTHY, stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 1e308 } } });
    expect(code).toBe(2);
    expect(stderr).toBe("./scenario.json: stable.latencyMs.p99: at most 900000 (15 minutes, Lambda's longest invocation)\n");
  });

  it('is refused when steady traffic is given an amplitude it would ignore', async () => {
    const { code, stderr } = await runScenario({ ...HEALTHY, traffic: { requestsPerMinute: 600, pattern: 'steady', amplitude: 0.5 } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^\.\/scenario\.json: traffic\.amplitude: steady traffic has no amplitude/);
  });
});

describe('a strategy of one step at 100%', () => {
  it('is refused in a scenario, naming strategy.steps', async () => {
    const { code, stderr } = await runScenario({ ...HEALTHY, strategy: { steps: [100], intervalMinutes: 5 } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^\.\/scenario\.json: strategy\.steps: \[100\] shifts everything at once with no canary step/);
  });

  it('is refused in a request, naming strategy.steps, before the alias moves', async () => {
    const { code, stderr } = await runScenario(HEALTHY, { request: { functionName: 'checkout', alias: 'live', candidateVersion: '13', strategy: { steps: [100], intervalMinutes: 5 } } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^strategy\.steps: \[100\] shifts everything at once/m);
  });
});

describe('JSON as editors write it', () => {
  it('reads a scenario and a request that start with a byte order mark', async () => {
    const request = { functionName: 'checkout', alias: 'live', candidateVersion: '13' };
    const code = await runCommand({ local: true, scenario: file('bom.json', `\uFEFF${JSON.stringify(HEALTHY)}`), request: file('req.json', `\uFEFF${JSON.stringify(request)}`) }, io);
    expect(io.stderr.text).toBe('');
    expect(code).toBe(0);
  });

  it('refuses a scenario with a key given twice, naming it', async () => {
    const { code, stderr } = await runScenario('{"name": "x", "minutes": 30, "minutes": 3000, "traffic": {"requestsPerMinute": 600}, "stable": {"errorRate": 0.01}}');
    expect(code).toBe(2);
    expect(stderr).toBe('./scenario.json: minutes: given twice in the same object (JSON keeps only the last; remove one)\n');
  });

  it('refuses a key given twice in start --strategy, naming it', async () => {
    await expect(buildRequest(parseStartOptions({ function: 'checkout', alias: 'live', version: '13', strategy: '{"steps": [10], "intervalMinutes": 5, "steps": [100]}' }), cwd)).rejects.toThrow(
      '--strategy: steps: given twice in the same object',
    );
  });

  it('refuses a request with a key given twice, naming it', async () => {
    const { code, stderr } = await runScenario(HEALTHY, { request: '{"functionName": "checkout", "alias": "live", "candidateVersion": "13", "analysis": {"maxErrorRate": 0.1, "maxErrorRate": 0.9}}' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^analysis\.maxErrorRate: given twice in the same object .* in \.\/request\.json\n$/);
  });
});

describe('JSON nested deeper than any Coalmine format', () => {
  it('is refused by name, not with a stack overflow', async () => {
    const deep = `{"functionName": "checkout", "alias": "live", "candidateVersion": "13", "x": ${'{"a": '.repeat(200_000)}1${'}'.repeat(200_000)}}`;
    const { code, stderr } = await runScenario(HEALTHY, { request: deep });
    expect(code).toBe(2);
    expect(stderr).toBe('--request: ./request.json nests objects and arrays more than 64 levels deep\n');
  });
});

describe('a request naming a function or alias the account does not have', () => {
  it('is refused naming functionName', async () => {
    const { code, stderr } = await runScenario(HEALTHY, { request: { functionName: 'nosuch', alias: 'live', candidateVersion: '13' } });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^functionName: no function nosuch in Coalmine's account and region; nothing was changed/)]);
  });

  it('is refused naming alias', async () => {
    const { code, stderr } = await runScenario(HEALTHY, { request: { functionName: 'checkout', alias: 'nosuch', candidateVersion: '13' } });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^alias: checkout has no alias nosuch; nothing was changed/)]);
  });
});

describe('files named on the command line', () => {
  it('reads paths with #, ? and %41 in them as plain file names', async () => {
    const name = 'canary#1?x%41.json';
    writeFileSync(join(cwd, name), JSON.stringify({ functionName: 'checkout-api', alias: 'live' }));
    const request = await buildRequest(parseStartOptions({ request: name, version: '13' }), cwd);
    expect(request).toEqual({ functionName: 'checkout-api', alias: 'live', candidateVersion: '13' });

    const releaseIo = bufferIo({ cwd });
    writeFileSync(join(cwd, 'release#1%41.json'), '{"waves": 3}');
    const code = await main(['node', 'coalmine', 'release', '--file', 'release#1%41.json', '--state-machine', 'arn:aws:states:eu-west-1:123456789012:stateMachine:R'], releaseIo, { aws: () => ({}) as never });
    expect(code).toBe(2);
    expect(releaseIo.stderr.text).toBe('coalmine: name: is required\n');
  });

  it('refuses a folder, and a device that would never end, by name', async () => {
    mkdirSync(join(cwd, 'folder.json'));
    expect(await runCommand({ local: true, request: 'folder.json' }, io)).toBe(2);
    expect(io.stderr.text).toBe('--request: folder.json is a folder, not a file\n');

    io.stderr.text = '';
    expect(await runCommand({ local: true, scenario: '/dev/zero' }, io)).toBe(2);
    expect(io.stderr.text).toBe('--scenario: /dev/zero is not a regular file (a device, pipe or socket is not read)\n');
  });
});

describe("Plan's warnings", () => {
  const noDeadLetters = { ...SQS_HEALTHY, queue: { ...(SQS_HEALTHY.queue as object), dlq: false } };

  it('are printed on stderr as warning lines by run --local', async () => {
    const { code, stderr, stdout } = await runScenario(noDeadLetters);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^warning: queue checkout-events has no dead-letter queue: /m);
    expect(stdout).not.toMatch(/^warning:/m);
  });

  it('are printed on stderr with --json too, stdout holding the one JSON object', async () => {
    const { stderr, stdout } = await runScenario(noDeadLetters, { json: true });
    expect(stderr).toMatch(/^warning: queue checkout-events has no dead-letter queue: /m);
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('coalmine bench, given odd scenario folders and outputs', () => {
  const SCENARIO: Record<string, unknown> = { ...HEALTHY, name: 'healthy' };

  function engine(): BenchEngine & { ran: number } {
    const recorder = {
      ran: 0,
      runBench: (input: { scenarios: { name: string }[]; seeds: number; policies: string[] }): BenchReport => {
        recorder.ran++;
        return { seeds: input.seeds, policies: input.policies, scenarios: input.scenarios.map((s) => ({ name: s.name, description: '' })), results: [], targets: [], skipped: [], elapsedMs: 1 };
      },
      writeBenchOutputs: () => undefined,
      renderMarkdown: () => 'table\n',
      renderOperatingRange: () => 'range\n',
    };
    return recorder;
  }

  it('skips a folder named like a scenario file', async () => {
    file('healthy.json', SCENARIO);
    mkdirSync(join(cwd, 'old.json'));
    const bench = engine();
    expect(await benchCommand({ scenarios: '.', seeds: 1 }, bufferIo({ cwd }), bench)).toBe(0);
    expect(bench.ran).toBe(1);
  });

  it('names a scenario file it cannot read', async () => {
    file('healthy.json', SCENARIO);
    symlinkSync(join(cwd, 'gone.json'), join(cwd, 'dangling.json'));
    await expect(benchCommand({ scenarios: '.', seeds: 1 }, bufferIo({ cwd }), engine())).rejects.toThrow(`scenario: cannot read ${join(cwd, 'dangling.json')} (ENOENT)`);
  });

  it('refuses an --out that is a file, or under a file, before any run starts', async () => {
    file('healthy.json', SCENARIO);
    file('report', 'not a folder');
    const bench = engine();
    await expect(benchCommand({ scenarios: 'healthy.json', seeds: 1, out: 'report' }, bufferIo({ cwd }), bench)).rejects.toThrow('--out: report is a file; name a folder for the report');
    await expect(benchCommand({ scenarios: 'healthy.json', seeds: 1, out: 'report/x' }, bufferIo({ cwd }), bench)).rejects.toThrow(`--out: ${join(cwd, 'report')} is a file`);
    expect(bench.ran).toBe(0);
  });

  it.skipIf(!existsSync('/proc/self'))('refuses an --out it cannot create, without waiting on it', async () => {
    file('healthy.json', SCENARIO);
    const bench = engine();
    await expect(benchCommand({ scenarios: 'healthy.json', seeds: 1, out: '/proc/coalmine-nowhere' }, bufferIo({ cwd }), bench)).rejects.toThrow('--out: cannot create /proc/coalmine-nowhere (ENOENT)');
    expect(bench.ran).toBe(0);
  });

  it('asks for a policy when --policies names none', async () => {
    const benchIo = bufferIo({ cwd });
    expect(await main(['node', 'coalmine', 'bench', '--policies', ',,'], benchIo)).toBe(2);
    expect(benchIo.stderr.text).toMatch(/^coalmine: --policies: name at least one policy; known: coalmine, /);
  });

  it('exits 2 with a message when no scenario says what it expects', async () => {
    const { expect: _expect, ...unscored } = SCENARIO;
    file('unscored.json', unscored);
    const benchIo = bufferIo({ cwd });
    expect(await main(['node', 'coalmine', 'bench', '--scenarios', 'unscored.json', '--seeds', '1'], benchIo)).toBe(2);
    expect(benchIo.stderr.text).toMatch(/^coalmine: --scenarios: none of the 1 scenario\(s\) says what a correct judge does/);
  });
});
