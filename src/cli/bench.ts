/**
 * `coalmine bench`: many scenarios × seeds through Coalmine's judge and, side by side, the policies
 * people use today. This file only turns options into the benchmark's input and its report into a
 * Markdown table (or JSON); the benchmark itself is src/bench.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import { BUILT_IN_SCENARIOS_DIR, listScenarios, loadScenario, type Scenario } from '../sim/scenario.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { zodLine } from './options.ts';

export const POLICY_NAMES = ['coalmine', 'codedeploy-alarm', 'flagger-threshold', 'kayenta-mann-whitney', 'sprt-oracle'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

const DEFAULT_SCENARIOS = 'scenarios';

export const benchOptionsSchema = z.strictObject({
  scenarios: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default([DEFAULT_SCENARIOS]),
  seeds: z.coerce.number().int('must be a whole number').min(1, 'must be from 1 to 100000').max(100_000, 'must be from 1 to 100000').default(200),
  policies: z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined) return [...POLICY_NAMES];
      const names = value.split(',').map((name) => name.trim()).filter(Boolean);
      const unknown = names.find((name) => !(POLICY_NAMES as readonly string[]).includes(name));
      if (unknown !== undefined || names.length === 0) {
        context.addIssue({ code: 'custom', message: `unknown policy "${unknown ?? ''}"; known: ${POLICY_NAMES.join(', ')}` });
        return z.NEVER;
      }
      return [...new Set(names)] as PolicyName[];
    }),
  out: z.string().min(1).optional(),
  json: z.boolean().default(false),
});
export type BenchOptions = z.input<typeof benchOptionsSchema>;

/** One row of the report (CONTRACTS.md §1). */
export interface BenchRow {
  scenario: string;
  expect?: 'promote' | 'rollback' | undefined;
  policy: string;
  runs: number;
  promoted: number;
  rolledBack: number;
  undecided: number;
  excessFailures: { median: number | null; p95: number | null };
  minutesToDecision: { median: number | null; p95: number | null };
}

export interface BenchReport {
  seeds: number;
  results: BenchRow[];
}

/** What this command needs of src/bench; `benchCommand` takes another in tests. */
export interface BenchEngine {
  runBench(input: { scenarios: Scenario[]; seeds: number; policies: PolicyName[] }): Promise<BenchReport> | BenchReport;
  writeBenchOutputs(report: BenchReport, outDir: string): Promise<unknown> | unknown;
}

/** Scenario files and folders → scenarios. The default folder falls back to the built-in scenarios. */
export function loadBenchScenarios(paths: string[], cwd: string): Scenario[] {
  const scenarios: Scenario[] = [];
  for (const path of paths) {
    const full = resolve(cwd, path);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(full).isDirectory();
    } catch {
      if (path === DEFAULT_SCENARIOS) {
        scenarios.push(...listScenarios(BUILT_IN_SCENARIOS_DIR));
        continue;
      }
      throw new InvalidRequestError(`--scenarios: ${path} not found`);
    }
    scenarios.push(...(isDirectory ? listScenarios(full) : [loadScenario(full)]));
  }
  if (scenarios.length === 0) throw new InvalidRequestError(`--scenarios: no scenario files (*.json) in ${paths.join(', ')}`);
  return scenarios;
}

function cell(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : '–';
}

/** The report as a Markdown table: one row per scenario and policy; "correct" is what the scenario expects. */
export function renderBenchMarkdown(report: BenchReport): string {
  const lines = [
    `Benchmark: ${report.seeds} seeds per scenario and policy.`,
    '',
    '| scenario | expect | policy | correct | promoted | rolled back | undecided | excess failures (median / p95) | minutes to decision (median / p95) |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of report.results) {
    const correct = row.expect === 'promote' ? row.promoted : row.expect === 'rollback' ? row.rolledBack : undefined;
    lines.push(
      `| ${row.scenario} | ${row.expect ?? '–'} | ${row.policy} | ${correct === undefined ? '–' : percent(correct, row.runs)} | ${row.promoted} | ${row.rolledBack} | ${row.undecided} | ${cell(row.excessFailures.median)} / ${cell(row.excessFailures.p95)} | ${cell(row.minutesToDecision.median)} / ${cell(row.minutesToDecision.p95)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

async function defaultEngine(): Promise<BenchEngine> {
  // Loaded on use: the benchmark pulls in the simulator and every policy.
  const bench = (await import(BENCH_MODULE)) as BenchEngine;
  return bench;
}

/** src/bench's entry point (engineer A's); named here once. */
const BENCH_MODULE = '../bench/index.ts';

/** Runs the benchmark and prints the table (or JSON). Exit 0 when it ran. */
export async function benchCommand(rawOptions: BenchOptions, io: CliIo, engine?: BenchEngine): Promise<ExitCode> {
  const parsed = benchOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error));
  const options = parsed.data;
  const scenarios = loadBenchScenarios(Array.isArray(options.scenarios) ? options.scenarios : [options.scenarios], io.cwd);
  const bench = engine ?? (await defaultEngine());
  if (!options.json) io.stderr.write(`Running ${scenarios.length} scenario(s) × ${options.seeds} seed(s) × ${options.policies.length} policies…\n`);
  const report = await bench.runBench({ scenarios, seeds: options.seeds, policies: options.policies });
  if (options.out) {
    await bench.writeBenchOutputs(report, resolve(io.cwd, options.out));
    if (!options.json) io.stderr.write(`Wrote the report to ${options.out}\n`);
  }
  io.stdout.write(options.json ? `${JSON.stringify(report)}\n` : renderBenchMarkdown(report));
  return EXIT.ok;
}
