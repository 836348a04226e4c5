import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchCommand, POLICY_NAMES, renderBenchMarkdown, type BenchEngine, type BenchReport } from '../../src/cli/bench.ts';
import { bufferIo } from '../../src/cli/io.ts';

const SCENARIO = {
  name: 'error-3x',
  description: 'candidate fails three times as often as stable',
  expect: 'rollback',
  minutes: 120,
  traffic: { requestsPerMinute: 600 },
  stable: { errorRate: 0.005, latencyMs: { median: 80, p99: 400 } },
  candidate: { errorRate: 0.015 },
};

function recordingEngine(): BenchEngine & { calls: unknown[]; written: string[] } {
  const calls: unknown[] = [];
  const written: string[] = [];
  return {
    calls,
    written,
    runBench: (input) => {
      calls.push(input);
      return {
        seeds: input.seeds,
        results: input.policies.map((policy) => ({
          scenario: input.scenarios[0]!.name,
          expect: 'rollback' as const,
          policy,
          runs: input.seeds,
          promoted: 1,
          rolledBack: input.seeds - 1,
          undecided: 0,
          excessFailures: { median: 9, p95: 21.25 },
          minutesToDecision: { median: 11, p95: 19 },
        })),
      } satisfies BenchReport;
    },
    writeBenchOutputs: (_report, dir) => void written.push(dir),
  };
}

function scenarioDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-bench-'));
  writeFileSync(join(dir, 'error-3x.json'), JSON.stringify(SCENARIO));
  return dir;
}

describe('coalmine bench', () => {
  it('hands the scenarios, seeds and policies to the benchmark and prints a Markdown table', async () => {
    const dir = scenarioDir();
    const engine = recordingEngine();
    const io = bufferIo({ cwd: dir });

    const code = await benchCommand({ scenarios: ['.'], seeds: '50', policies: 'coalmine,sprt-oracle' }, io, engine);

    expect(code).toBe(0);
    expect(engine.calls).toHaveLength(1);
    expect(engine.calls[0]).toMatchObject({ seeds: 50, policies: ['coalmine', 'sprt-oracle'], scenarios: [{ name: 'error-3x' }] });
    expect(io.stdout.text).toContain('| error-3x | rollback | coalmine | 98% | 1 | 49 | 0 | 9 / 21.3 | 11 / 19 |');
  });

  it('prints the report as one JSON object with --json, and writes it with --out', async () => {
    const dir = scenarioDir();
    const engine = recordingEngine();
    const io = bufferIo({ cwd: dir });

    const code = await benchCommand({ scenarios: 'error-3x.json', json: true, out: 'bench-out' }, io, engine);

    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.text);
    expect(report.seeds).toBe(200);
    expect(report.results.map((row: { policy: string }) => row.policy)).toEqual([...POLICY_NAMES]);
    expect(engine.written).toEqual([join(dir, 'bench-out')]);
  });

  it('refuses a scenario path that does not exist, naming it', async () => {
    await expect(benchCommand({ scenarios: ['nowhere'] }, bufferIo(), recordingEngine())).rejects.toThrow('--scenarios: nowhere not found');
  });

  it('renders a dash where a figure is missing', () => {
    const table = renderBenchMarkdown({ seeds: 1, results: [{ scenario: 's', policy: 'coalmine', runs: 1, promoted: 0, rolledBack: 0, undecided: 1, excessFailures: { median: null, p95: null }, minutesToDecision: { median: null, p95: null } }] });

    expect(table).toContain('| s | – | coalmine | – | 0 | 0 | 1 | – / – | – / – |');
  });
});
