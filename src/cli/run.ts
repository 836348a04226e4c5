/**
 * `coalmine run --local`: one canary, end to end, on the simulated account, through the real state
 * machine definition. Prints a line per evaluation and a summary, or with `--json` only the
 * `run --json` object (docs/contract.md §1). Returns the exit code: 0 promoted, 3 rolled back on a
 * found regression, 4 rolled back because it could not decide in time, 2 bad input (one line on
 * stderr naming the field), 1 anything else.
 *
 * @example
 * const code = await runCommand({ local: true, scenario: 'error-3x', seed: 7 }, { stdout: process.stdout, stderr: process.stderr, isTTY: true });
 */
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { InvalidRequestError, isBadInputError } from '../core/errors.ts';
import { outcomeTitle } from '../core/state.ts';
import { causeMessage } from '../core/steps/index.ts';
import { runLocal, type ProgressEvent } from '../local/runner.ts';
import { emptyProgress, historyEntryOf, readProgress, warningPrinter, type ExecutionProgress } from './follow.ts';
import { ProgressPrinter } from './progress-view.ts';
import type { RunResult } from '../local/record.ts';
import { createSimAccount } from '../sim/account/index.ts';
import { loadScenario, parseScenario, type Scenario } from '../sim/scenario.ts';
import { errorLine, EXIT, exitCodeForOutcome, failureJson } from './exit-codes.ts';
import type { Output } from './io.ts';
import { parseOptionJson, zodLine } from './options.ts';
import { readInputFile } from '../input-file.ts';
import { ansi, plain, type Palette } from './colours.ts';

const MAX_SEED = 2 ** 32 - 1;
const SEED = `must be a whole number from 0 to ${MAX_SEED}`;

export const runOptionsSchema = z.strictObject({
  local: z.boolean().default(false),
  /** A built-in scenario's name (`scenarios/<name>.json`) or a path to a scenario file. */
  scenario: z.string().min(1, 'must name a scenario or a scenario file').default('healthy'),
  seed: z
    .union([z.number(), z.string()], { error: SEED })
    // commander hands over text; anything but digits is not a seed.
    .transform((value) => (typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN))
    .pipe(z.number({ error: SEED }).int(SEED).min(0, SEED).max(MAX_SEED, SEED))
    .default(1),
  /** A JSON file holding the state machine's input, as on AWS. */
  request: z.string().min(1, 'must name a JSON file').optional(),
  /** A release file (docs/contract.md §3): its waves of canaries instead of one canary. */
  release: z.string().min(1, 'must name a release file').optional(),
  /** How the person answers a canary that waits for approval (`approval: "before-promote"`). */
  approve: z.enum(['yes', 'no'], { error: 'must be yes or no' }).default('yes'),
  json: z.boolean().default(false),
});

export type RunOptions = z.input<typeof runOptionsSchema>;

export interface RunIo {
  stdout: Output;
  stderr: Output;
  /** Colours only on a terminal; default: `stdout.isTTY`. */
  isTTY?: boolean;
  /** Where `--request` and `--scenario` paths are resolved and `.coalmine/` is written; default: the process's. */
  cwd?: string;
}


/** Runs `coalmine run`; the one place that decides its exit code. */
export async function runCommand(options: RunOptions, io: RunIo): Promise<number> {
  const parsed = runOptionsSchema.safeParse(options);
  const asJson = (options as { json?: unknown }).json === true;
  if (!parsed.success) return badInput(io, zodLine(parsed.error), asJson);
  const { local, scenario: scenarioName, seed, request: requestFile, release, approve, json } = parsed.data;
  if (!local) {
    return badInput(io, '--local: `run` only runs canaries on the simulated account; add --local, or use `coalmine start --function F --alias A --version V` to run one on AWS', json);
  }
  if (release !== undefined) {
    if (requestFile !== undefined) return badInput(io, '--request: a release file holds its own requests; give --release or --request, not both', json);
    const { runReleaseCommand } = await import('./release-local.ts');
    return runReleaseCommand({ release, seed, json }, io);
  }
  const cwd = io.cwd ?? process.cwd();
  const style = (io.isTTY ?? io.stdout.isTTY ?? false) && !json ? ansi : plain;

  let result: RunResult;
  try {
    const scenario = isPath(scenarioName) ? readScenarioFile(resolve(cwd, scenarioName), scenarioName) : loadScenario(scenarioName);
    const request = requestFile === undefined ? undefined : readRequest(resolve(cwd, requestFile), requestFile);
    const account = createSimAccount(scenario, { seed });
    if (!json) io.stdout.write(`${style.bold(`coalmine run --local`)} · scenario ${scenario.name}${scenario.description ? style.dim(` (${scenario.description})`) : ''} · seed ${seed}\n`);
    result = await runLocal({
      scenario,
      seed,
      account,
      ...(request === undefined ? {} : { request: request.value }),
      approve,
      record: true,
      recordDir: join(cwd, '.coalmine', 'executions'),
      onEvent: progressOf(json ? undefined : io.stdout, (io.isTTY ?? io.stdout.isTTY ?? false) === true, warningPrinter(io.stderr)),
    });
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'InvalidRequestError' || isBadInputError(name)) return badInput(io, errorLine(error), json, name);
    io.stderr.write(`coalmine run: ${errorLine(error)}\n`);
    if (json) io.stdout.write(`${JSON.stringify(failureJson(name || 'Error', errorLine(error)))}\n`);
    return EXIT.failed;
  }

  if (json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    for (const line of summaryLines(result, style, cwd)) io.stdout.write(`${line}\n`);
  }
  if (result.outcome === 'failed' && isBadInputError(result.errorName)) {
    // Plan refused the request before touching anything: say which field, in one line.
    io.stderr.write(`${badInputLine(result)}\n`);
  }
  return exitCodeForOutcome(result.outcome, result.errorName, result.rollbackKind);
}

/**
 * Folds the local execution's events as `start --wait` folds a history on AWS, and prints through
 * the same renderer: the plan line, the step trail, each look with its checks (on `out`, unless
 * there is none: `--json`); and Plan's warnings, through `warn`.
 */
function progressOf(out: Output | undefined, tty: boolean, warn: (progress: ExecutionProgress) => void): (event: ProgressEvent) => void {
  let progress: ExecutionProgress | undefined;
  let id = 0;
  let simulatedNow = 0;
  const printer = out ? new ProgressPrinter(out, { tty, now: () => simulatedNow }) : undefined;
  return (event) => {
    if (event.type === 'started') {
      progress = emptyProgress({ executionArn: `local:${event.execution}`, name: event.execution, startedAt: event.at });
      simulatedNow = Date.parse(event.at);
    } else if (event.type === 'state' && progress) {
      const before = progress;
      simulatedNow = Date.parse(event.event.at);
      progress = readProgress(progress, [historyEntryOf(event.event, ++id)]);
      warn(progress);
      // Redraw when something a person reads changed, not at every state.
      if (progress.decisions.length !== before.decisions.length || (progress.functionName && !before.functionName)) printer?.show(progress);
    } else if (event.type === 'finished') {
      if (progress) printer?.show(progress);
      printer?.done();
    }
  };
}

/** One line on stderr; with `--json`, the same as a JSON object on stdout, so scripts parse every ending. */
function badInput(io: RunIo, line: string, json = false, name = 'InvalidRequestError'): number {
  io.stderr.write(`${line}\n`);
  if (json) io.stdout.write(`${JSON.stringify(failureJson(name, line))}\n`);
  return EXIT.badInput;
}

/** A path rather than a built-in scenario's name. */
function isPath(value: string): boolean {
  return value.includes('/') || value.includes('\\') || value.endsWith('.json');
}

/** A scenario file, named in messages as the user wrote it. */
function readScenarioFile(path: string, shown: string): Scenario {
  return parseScenario(readInputFile('--scenario', path, shown), shown);
}

function readRequest(path: string, shown: string): { value: unknown } {
  const value = parseOptionJson('--request', readInputFile('--request', path, shown), shown);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequestError(`--request: ${shown} must hold a JSON object (a request or an EventBridge event), got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return { value };
}

/**
 * The error message alone (it starts with the field), without the error's name. The reason is the
 * refused step's own error, whole: its suggestions ("…; did you mean "alias"?") are part of it.
 */
function badInputLine(result: RunResult): string {
  const prefix = `${result.errorName}: `;
  return result.reason.startsWith(prefix) ? result.reason.slice(prefix.length) : causeMessage(result.reason);
}

export function summaryLines(result: RunResult, style: Palette = plain, cwd: string = process.cwd()): string[] {
  const title = style.bold(outcomeTitle({ result: result.outcome, rollbackKind: result.rollbackKind, restoredAfterPromotion: result.restoredAfterPromotion }));
  // An inconclusive canary found no harm: it is a warning, not an alarm.
  const word = result.outcome === 'promoted' ? style.green(title) : result.rollbackKind === 'inconclusive' ? style.yellow(title) : style.red(title);
  const routing = Object.entries(result.alias.routing);
  const alias = `version ${result.alias.version}${routing.length ? ` with ${routing.map(([version, weight]) => `${weight}% on ${version}`).join(', ')}` : ', no routing'}`;
  const lines = [
    `${word}: ${result.reason}`,
    `  alias                ${alias}`,
    `  excess failures      ${result.excessFailures}`,
    `  minutes to decision  ${result.minutesToDecision ?? '—'}`,
  ];
  if (result.queue) {
    const q = result.queue;
    lines.push(`  queue                sent ${q.sent}, succeeded ${q.succeeded}, dead-lettered ${q.deadLettered}, redriven ${q.redriven}, in queue ${q.inQueue}, lost ${q.lost}`);
  }
  if (result.record) lines.push(style.dim(`  record               ${relativeTo(cwd, result.record)}`));
  return lines;
}

function relativeTo(cwd: string, path: string): string {
  const base = cwd.endsWith('/') ? cwd : `${cwd}/`;
  return path.startsWith(base) ? path.slice(base.length) : path;
}
