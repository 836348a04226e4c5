/**
 * `coalmine start`: starts a canary on AWS (from CI), and with `--wait` follows it to the end.
 *
 * The execution is named after the function, alias and version, so a retried job or a duplicate
 * event meets the execution that is already there instead of starting a second canary:
 * a running one is joined; a finished one with the same request is reported.
 */
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { CoalmineError, InvalidRequestError } from '../core/errors.ts';
import { JsonInputError, parseJsonText } from '../core/json.ts';
import { parseRequest } from '../core/request.ts';
import { consoleUrlFor, type ExecutionInfo, type ExecutionStatus } from '../aws/stepfunctions.ts';
import { resolveStateMachineArn, type AwsDeps } from './aws-context.ts';
import { executionNameFor, MAX_EXECUTION_NAME_LENGTH } from '../core/execution-name.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { emptyProgress, endingOf, followExecution, isFinished, readProgress, warningPrinter, type CheckRecord, type ExecutionEnding, type ExecutionProgress } from './follow.ts';
import type { CliIo } from './io.ts';
import { endingLines, ProgressPrinter } from './progress-view.ts';
import { parseOptionJson, stateMachineOptions, zodLine } from './options.ts';
import { readInputFile } from '../input-file.ts';

export const startOptionsSchema = z.strictObject({
  function: z.string().min(1).optional(),
  alias: z.string().min(1).optional(),
  version: z.string().min(1).optional(),
  strategy: z.string().min(1).optional(),
  ...stateMachineOptions,
  request: z.string().min(1).optional(),
  executionName: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
    .max(MAX_EXECUTION_NAME_LENGTH)
    .optional(),
  wait: z.boolean().default(false),
  waitMinutes: z.coerce.number().positive().optional(),
  json: z.boolean().default(false),
});
export type StartOptions = z.input<typeof startOptionsSchema>;

/** What `start` did: started (or Step Functions joined us to the same running execution), joined, or found it finished. */
export type StartAction = 'started' | 'joined' | 'finished-before';

export interface StartResult {
  action: StartAction;
  executionArn: string;
  name: string;
  consoleUrl: string;
  status: ExecutionStatus;
  request: Record<string, unknown>;
  /** Set when `start` joined a running execution whose request differs from this one. */
  warning?: string;
}

/** With `--wait` (or for an execution that had already ended): `run --json`'s fields, and where it ran. */
export interface StartOutcome extends StartResult, ExecutionEnding {
  /** What Plan decided before any traffic moved: the versions and the strategy (absent if Plan never ran). */
  plan?: { functionName?: string; alias?: string; stableVersion?: string; candidateVersion?: string; strategy?: { name: string; steps: number[]; intervalMinutes: number } };
  steps: { weight: number; minute: number; decision: string; reasons: string[]; figures: Record<string, unknown>; checks: CheckRecord[] }[];
  alias?: { version: string; routing: Record<string, number> };
  error?: { error: string; cause?: string };
}

/** The request from `--request FILE` with the flags laid over it. Throws InvalidRequestError. */
export async function buildRequest(options: z.output<typeof startOptionsSchema>, cwd: string): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (options.request) {
    const text = readInputFile('--request', resolve(cwd, options.request), options.request);
    const parsed = parseOptionJson('--request', text, options.request);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidRequestError(`--request: ${options.request} must hold a JSON object`);
    }
    base = parsed as Record<string, unknown>;
  }
  const request: Record<string, unknown> = { ...base };
  if (options.function !== undefined) request.functionName = options.function;
  if (options.alias !== undefined) request.alias = options.alias;
  if (options.version !== undefined) request.candidateVersion = options.version;
  if (options.strategy !== undefined) request.strategy = parseStrategyFlag(options.strategy);
  if (request.functionName === undefined) throw new InvalidRequestError('--function: is required (or functionName in --request)');
  if (request.alias === undefined) throw new InvalidRequestError('--alias: is required (or alias in --request)');
  if (request.candidateVersion === undefined) throw new InvalidRequestError('--version: is required (or candidateVersion in --request)');
  parseRequest(request);
  if (String(request.candidateVersion) === 'latest') {
    // The execution's name comes from the version: "latest" would name every release alike.
    throw new InvalidRequestError('--version: give the published version number (aws lambda publish-version prints it), not "latest"');
  }
  return request;
}

/** `--strategy Canary10Percent5Minutes`, or a custom schedule as JSON: `{"steps":[5,25,50],"intervalMinutes":5}`. */
function parseStrategyFlag(value: string): unknown {
  if (!value.trim().startsWith('{')) return value;
  try {
    return parseJsonText(value);
  } catch (error) {
    if (error instanceof JsonInputError) throw new InvalidRequestError(`--strategy: ${error.message}`, { cause: error });
    throw new InvalidRequestError(`--strategy: "${value.slice(0, 60)}" is neither a strategy name nor JSON`);
  }
}

function sameRequest(input: string | undefined, request: Record<string, unknown>): boolean {
  if (input === undefined) return false;
  try {
    return isDeepStrictEqual(JSON.parse(input), request);
  } catch {
    return false;
  }
}

/** Starts the execution, or finds the one that already has its name. Data only; no printing. */
export async function startExecution(rawOptions: StartOptions, io: Pick<CliIo, 'env' | 'cwd'>, deps: AwsDeps): Promise<StartResult> {
  const options = parseStartOptions(rawOptions);
  const request = await buildRequest(options, io.cwd);
  const stateMachineArn = await resolveStateMachineArn(options, io.env, deps);
  const name = options.executionName ?? executionNameFor(String(request.functionName), String(request.alias), String(request.candidateVersion));
  const started = await deps.executions.start({ stateMachineArn, name, input: JSON.stringify(request) });
  const base = { executionArn: started.executionArn, name, consoleUrl: consoleUrlFor(started.executionArn), request };
  if (started.started) return { action: 'started', status: 'RUNNING', ...base };

  const existing = await deps.executions.describe(started.executionArn);
  const same = sameRequest(existing.input, request);
  if (!isFinished(existing.status)) {
    return {
      action: 'joined',
      status: existing.status,
      ...base,
      ...(same ? {} : { warning: `joined the running execution ${name}, which was started with a different request; it goes on with its own` }),
    };
  }
  if (!same) {
    throw new CoalmineError(
      `execution ${name} already ran for this function, alias and version with a different request (${existing.status}); publish a new version, or pass --execution-name to start another`,
    );
  }
  return { action: 'finished-before', status: existing.status, ...base };
}

export function parseStartOptions(rawOptions: StartOptions): z.output<typeof startOptionsSchema> {
  const parsed = startOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error, { stateMachine: '--state-machine', executionName: '--execution-name', waitMinutes: '--wait-minutes' }));
  if (parsed.data.stateMachine && parsed.data.stack) throw new InvalidRequestError('--state-machine and --stack: give one of them');
  return parsed.data;
}

/** Follows (or, for one that ended, reads) the execution to its end. Data only; `onProgress` sees every change. */
export async function awaitOutcome(
  result: StartResult,
  deps: AwsDeps,
  options: { waitMinutes?: number | undefined; onProgress?: (before: ExecutionProgress | undefined, after: ExecutionProgress) => void } = {},
): Promise<StartOutcome> {
  const info: ExecutionInfo = await deps.executions.describe(result.executionArn);
  let previous: ExecutionProgress | undefined;
  const start = emptyProgress(info);
  const progress = isFinished(info.status)
    ? readProgress(start, (await deps.executions.history(info.executionArn)).entries)
    : await followExecution(deps.executions, start, {
        onProgress: (next) => {
          options.onProgress?.(previous, next);
          previous = next;
        },
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        ...(deps.now ? { now: deps.now } : {}),
        ...(options.waitMinutes !== undefined ? { maxWaitMs: options.waitMinutes * 60_000 } : {}),
      });
  if (isFinished(info.status)) options.onProgress?.(undefined, progress);
  // A finished execution's error and cause are authoritative; the history may have been cut short.
  const finished: ExecutionProgress = info.error !== undefined && progress.error === undefined && isFinished(info.status)
    ? { ...progress, status: info.status, error: { error: info.error, ...(info.cause !== undefined ? { cause: info.cause } : {}) } }
    : progress;
  return toOutcome(result, finished);
}

function planOf(progress: ExecutionProgress): Pick<StartOutcome, 'plan'> {
  const plan = Object.fromEntries(
    (['functionName', 'alias', 'stableVersion', 'candidateVersion', 'strategy'] as const).flatMap((key) => (progress[key] !== undefined ? [[key, progress[key]]] : [])),
  );
  return progress.stableVersion === undefined ? {} : { plan };
}

export function toOutcome(result: StartResult, progress: ExecutionProgress): StartOutcome {
  const ending = endingOf(progress);
  return {
    ...result,
    status: progress.status,
    ...ending,
    ...planOf(progress),
    steps: progress.decisions.map(({ weight, minute, decision, reasons, figures, checks }) => ({ weight, minute, decision, reasons, figures, checks })),
    ...(progress.outcome?.alias ? { alias: progress.outcome.alias } : {}),
    ...(progress.error ? { error: progress.error } : {}),
  };
}

function renderStarted(result: StartResult): string {
  const verb = result.action === 'started' ? 'Started' : result.action === 'joined' ? 'Joined the running execution' : 'Found the finished execution';
  const lines = [`${verb} ${result.name}`, `console: ${result.consoleUrl}`];
  if (result.warning) lines.push(`warning: ${result.warning}`);
  return lines.join('\n') + '\n';
}

/**
 * The command: prints what it did (and, with `--wait`, the progress and the ending) and returns the
 * exit code: 0 started or promoted, 3 rolled back, 2 bad input, 1 otherwise.
 */
export async function startCommand(rawOptions: StartOptions, io: CliIo, deps: AwsDeps): Promise<ExitCode> {
  const options = parseStartOptions(rawOptions);
  const result = await startExecution(options, io, deps);
  const follow = options.wait || result.action === 'finished-before';
  if (!follow) {
    io.stdout.write(options.json ? `${JSON.stringify(result)}\n` : renderStarted(result));
    return EXIT.ok;
  }
  if (!options.json) io.stderr.write(renderStarted(result));
  const printer = new ProgressPrinter(io.stderr, { tty: io.stderr.isTTY === true, now: deps.now ?? Date.now });
  const warn = warningPrinter(io.stderr);
  const outcome = await awaitOutcome(result, deps, {
    waitMinutes: options.waitMinutes,
    onProgress: (_before, after) => {
      warn(after);
      if (!options.json) printer.show(after);
    },
  });
  printer.done();
  if (options.json) {
    io.stdout.write(`${JSON.stringify(outcome)}\n`);
  } else {
    io.stdout.write(endingLines(outcome, String(result.request.alias), io.stdout.isTTY === true).join('\n') + '\n');
  }
  return outcome.exitCode;
}
