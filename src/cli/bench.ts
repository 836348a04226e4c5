/**
 * `coalmine bench`: many scenarios × seeds through Coalmine's judge and, side by side, the policies
 * people use today. This file only turns options into the benchmark's input and prints its report
 * as Markdown (src/bench's tables) or JSON; the benchmark itself is src/bench.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import { DEFAULT_POLICIES, POLICIES, renderOperatingRange, writeBenchOutputs, type BenchReport } from '../bench/index.ts';
import { runBenchInWorkers } from '../bench/parallel.ts';
import { BLAST_RADIUS_FILE, renderMarkdown } from '../bench/output.ts';
import { BUILT_IN_SCENARIOS_DIR, listScenarios, loadScenario, type Scenario } from '../sim/scenario.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { zodLine } from './options.ts';

const DEFAULT_SCENARIOS = 'scenarios';
const DEFAULT_OUT = 'bench-out';
const REPORTS = ['operating-range'] as const;
/** The operating-range table's file in the --out folder. */
export const OPERATING_RANGE_FILE = 'operating-range.md';

export const benchOptionsSchema = z.strictObject({
  scenarios: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default([DEFAULT_SCENARIOS]),
  seeds: z.coerce.number().int('must be a whole number').min(1, 'must be from 1 to 100000').max(100_000, 'must be from 1 to 100000').default(200),
  policies: z
    .string()
    .optional()
    .transform((value, context) => {
      if (value === undefined) return [...DEFAULT_POLICIES];
      const names = value.split(',').map((name) => name.trim()).filter(Boolean);
      const unknown = names.find((name) => !Object.hasOwn(POLICIES, name));
      if (unknown !== undefined || names.length === 0) {
        const what = unknown === undefined ? 'name at least one policy' : `unknown policy "${unknown}"`;
        context.addIssue({ code: 'custom', message: `${what}; known: ${Object.keys(POLICIES).join(', ')}` });
        return z.NEVER;
      }
      return [...new Set(names)];
    }),
  sqsSeeds: z.coerce.number().int('must be a whole number').min(1, 'must be from 1 to 100000').max(100_000, 'must be from 1 to 100000').optional(),
  /** Where results.md, results.json and the plot go; written by default, so the printed report's plot link leads to a file. */
  out: z.string().min(1).default(DEFAULT_OUT),
  json: z.boolean().default(false),
  /** `operating-range`: print (and write to --out) the per-cell table instead of the per-scenario one. */
  report: z.enum(REPORTS, { message: `must be one of: ${REPORTS.join(', ')}` }).optional(),
  guarantee: z.boolean().default(false),
  /** Worker threads to run the scenarios on (default: one per core); 1 runs them in this process. */
  workers: z.coerce.number().int('must be a whole number').min(1, 'must be from 1 to 256').max(256, 'must be from 1 to 256').optional(),
});
export type BenchOptions = z.input<typeof benchOptionsSchema>;

/** What this command needs of src/bench; tests pass another. */
export interface BenchEngine {
  runBench(input: { scenarios: Scenario[]; seeds: number; policies: string[]; sqsSeeds?: number; guarantee?: boolean; workers?: number }): Promise<BenchReport> | BenchReport;
  writeBenchOutputs(report: BenchReport, outDir: string): Promise<unknown> | unknown;
  /** `plotPath`: where the printed report links the plot from. */
  renderMarkdown(report: BenchReport, plotPath?: string): string;
  renderOperatingRange(report: BenchReport): string;
}

const ENGINE: BenchEngine = { runBench: runBenchInWorkers, writeBenchOutputs, renderMarkdown, renderOperatingRange };

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

/** Runs the benchmark and prints the table (or JSON). Exit 0 when it ran. */
export async function benchCommand(rawOptions: BenchOptions, io: CliIo, engine: BenchEngine = ENGINE): Promise<ExitCode> {
  const parsed = benchOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error));
  const options = parsed.data;
  const scenarios = loadBenchScenarios(Array.isArray(options.scenarios) ? options.scenarios : [options.scenarios], io.cwd);
  if (!scenarios.some((scenario) => scenario.expect !== undefined)) {
    throw new InvalidRequestError(`--scenarios: none of the ${scenarios.length} scenario(s) says what a correct judge does ("expect": "promote" or "rollback"), so the benchmark has nothing to score`);
  }
  const outDir = resolve(io.cwd, options.out);
  // A run can take minutes: find out now, not after it, that the report cannot be written.
  prepareOutDir(outDir, options.out);
  const bench = engine;
  if (!options.json) io.stderr.write(`Running ${scenarios.length} scenario(s) × ${options.seeds} seed(s) × ${options.policies.length} policies…\n`);
  const report = await bench.runBench({
    scenarios,
    seeds: options.seeds,
    policies: options.policies,
    ...(options.sqsSeeds === undefined ? {} : { sqsSeeds: options.sqsSeeds }),
    ...(options.guarantee ? { guarantee: true } : {}),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
  const operatingRange = options.report === 'operating-range' ? bench.renderOperatingRange(report) : undefined;
  await bench.writeBenchOutputs(report, outDir);
  if (operatingRange !== undefined) {
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, OPERATING_RANGE_FILE), operatingRange);
  }
  if (!options.json) io.stderr.write(`Wrote the report to ${options.out}\n`);
  io.stdout.write(options.json ? `${JSON.stringify(report)}\n` : operatingRange ?? bench.renderMarkdown(report, join(options.out, BLAST_RADIUS_FILE)));
  return EXIT.ok;
}

/**
 * Makes the --out folder, one level at a time (Node's recursive mkdir never returns on some paths,
 * such as one under /proc), and checks that it takes files. Throws InvalidRequestError naming --out
 * and the part of the path at fault.
 */
function prepareOutDir(dir: string, shown: string): void {
  const missing: string[] = [];
  let existing = dir;
  while (!exists(existing)) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  const name = (path: string) => (path === dir ? shown : path);
  if (!statSync(existing).isDirectory()) throw new InvalidRequestError(`--out: ${name(existing)} is a file; name a folder for the report`);
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (error) {
      throw new InvalidRequestError(`--out: cannot create ${name(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
    }
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new InvalidRequestError(`--out: cannot write in ${shown} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
