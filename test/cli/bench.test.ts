import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES, type BenchReport } from '../../src/bench/index.ts';
import { benchCommand, type BenchEngine } from '../../src/cli/bench.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { BUILT_IN_SCENARIOS_DIR } from '../../src/sim/scenario.ts';

const SCENARIO = {
  name: 'error-3x',
  description: 'candidate fails three times as often as stable',
  expect: 'rollback',
  minutes: 120,
  traffic: { requestsPerMinute: 600 },
  stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 400 } },
  candidate: { errorRate: 0.015 },
};

function recordingEngine(): BenchEngine & { calls: { seeds: number; policies: string[]; scenarios: { name: string }[] }[]; written: string[] } {
  const calls: { seeds: number; policies: string[]; scenarios: { name: string }[] }[] = [];
  const written: string[] = [];
  return {
    calls,
    written,
    runBench: (input) => {
      calls.push(input);
      const report: BenchReport = {
        seeds: input.seeds,
        policies: input.policies,
        scenarios: input.scenarios.map((scenario) => ({ name: scenario.name, description: scenario.description })),
        results: [],
        targets: [],
        skipped: [],
        elapsedMs: 1,
      };
      return report;
    },
    writeBenchOutputs: (_report, dir) => void written.push(dir),
    renderMarkdown: (report) => `table of ${report.scenarios.map((scenario) => scenario.name).join(', ')} × ${report.seeds}\n`,
    renderOperatingRange: (report) => `operating range of ${report.scenarios.length} cells\n`,
  };
}

function scenarioDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-bench-'));
  writeFileSync(join(dir, 'error-3x.json'), JSON.stringify(SCENARIO));
  return dir;
}

describe('coalmine bench', () => {
  it('hands the scenarios, seeds and policies to the benchmark and prints its Markdown', async () => {
    const dir = scenarioDir();
    const engine = recordingEngine();
    const io = bufferIo({ cwd: dir });

    const code = await benchCommand({ scenarios: ['.'], seeds: '50', policies: 'coalmine,sprt-oracle' }, io, engine);

    expect(code).toBe(0);
    expect(engine.calls).toHaveLength(1);
    expect(engine.calls[0]).toMatchObject({ seeds: 50, policies: ['coalmine', 'sprt-oracle'], scenarios: [{ name: 'error-3x' }] });
    expect(io.stdout.text).toBe('table of error-3x × 50\n');
  });

  it('writes its files to bench-out by default, so the plot the printed report links to exists', async () => {
    const dir = scenarioDir();
    const engine = recordingEngine();
    const io = bufferIo({ cwd: dir });

    await benchCommand({ scenarios: 'error-3x.json', seeds: 2 }, io, engine);

    expect(engine.written).toEqual([join(dir, 'bench-out')]);
    expect(io.stderr.text).toContain('Wrote the report to bench-out');
  });

  it('defaults to 200 seeds and every policy, prints one JSON object with --json, and writes it with --out', async () => {
    const dir = scenarioDir();
    const engine = recordingEngine();
    const io = bufferIo({ cwd: dir });

    const code = await benchCommand({ scenarios: 'error-3x.json', json: true, out: 'bench-out' }, io, engine);

    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.text);
    expect(report.seeds).toBe(200);
    expect(report.policies).toEqual([...DEFAULT_POLICIES]);
    expect(engine.written).toEqual([join(dir, 'bench-out')]);
  });

  it('hands --workers to the benchmark, and refuses a count below one', async () => {
    const dir = scenarioDir();
    const engine = recordingEngine();

    await benchCommand({ scenarios: 'error-3x.json', seeds: 2, workers: '1' }, bufferIo({ cwd: dir }), engine);

    expect(engine.calls[0]).toMatchObject({ workers: 1 });
    await expect(benchCommand({ scenarios: 'error-3x.json', workers: '0' }, bufferIo({ cwd: dir }), engine)).rejects.toThrow(/workers.*from 1/);
  });

  it('refuses a scenario path that does not exist, naming it', async () => {
    await expect(benchCommand({ scenarios: ['nowhere'] }, bufferIo(), recordingEngine())).rejects.toThrow('--scenarios: nowhere not found');
  });

  it('runs the real benchmark through main and prints the contract fields with --json', async () => {
    const dir = scenarioDir();
    const io = bufferIo({ cwd: dir });

    const code = await main(['node', 'coalmine', 'bench', '--scenarios', 'error-3x.json', '--seeds', '3', '--policies', 'coalmine', '--json', '--out', 'out'], io);

    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.text);
    expect(report.seeds).toBe(3);
    expect(report.results).toHaveLength(1);
    const row = report.results[0];
    expect(row).toMatchObject({ scenario: 'error-3x', expect: 'rollback', policy: 'coalmine', runs: 3 });
    expect(row.promoted + row.rolledBack + row.undecided).toBe(3);
    expect(row.excessFailures).toHaveProperty('median');
    expect(row.minutesToDecision).toHaveProperty('p95');
    expect(existsSync(join(dir, 'out', 'results.md'))).toBe(true);
  });

  it('refuses a report it does not know, naming the option', async () => {
    await expect(benchCommand({ scenarios: ['nowhere'], report: 'everything' as 'operating-range' }, bufferIo(), recordingEngine())).rejects.toThrow(/report.*operating-range/);
  });

  it('prints the operating-range table of a slice of the shipped grid and writes it to --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-bench-'));
    const io = bufferIo({ cwd: dir });
    const cells = ['grid-600rpm-steady-0.5pct-healthy', 'grid-600rpm-steady-0.5pct-gross'].map((name) => join(BUILT_IN_SCENARIOS_DIR, 'grid', `${name}.json`));

    const code = await main(['node', 'coalmine', 'bench', '--scenarios', ...cells, '--seeds', '3', '--report', 'operating-range', '--out', 'out'], io);

    expect(code).toBe(0);
    expect(io.stdout.text).toContain('# Operating range');
    // Healthy at 600 a minute: Coalmine promotes every seed; the gross regression it catches every seed.
    expect(io.stdout.text).toMatch(/\| 600 \| steady \| 0\.5% \| as stable \| 100% · \d+ min · 0% \|/);
    expect(io.stdout.text).toMatch(/\| 600 \| steady \| 0\.5% \| 10× errors \| 0% · – · 100% \|/);
    expect(readFileSync(join(dir, 'out', 'operating-range.md'), 'utf8')).toBe(io.stdout.text);
  });
});
