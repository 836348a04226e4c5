/**
 * `coalmine release --file FILE [--wait] [--json]`: starts a release in waves on AWS (an execution of
 * the stack's release state machine, docs/releases.md), and with `--wait` follows it to the end.
 * The file is checked before anything starts (bad input: one line naming the field, exit 2). The
 * execution is named after the release and a hash of its input, so a retried job joins the running
 * release (or reports the finished one) instead of starting a second. Exit codes as `run`.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { consoleUrlFor, type ExecutionInfo, type HistoryEntry } from '../aws/stepfunctions.ts';
import { CoalmineError, InvalidRequestError, StateMachineNotFoundError } from '../core/errors.ts';
import { MAX_EXECUTION_NAME_LENGTH } from '../core/execution-name.ts';
import { parseRelease, targetKey, type ReleaseInput } from '../core/release.ts';
import { ROLLBACK_ERRORS, rollbackKindOfError, type Ending, type RollbackKind } from '../core/state.ts';
import type { WaveOutcome } from '../local/release.ts';
import type { AwsDeps } from './aws-context.ts';
import { EXIT, exitCodeForOutcome, type ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { parseOptionJson, stateMachineOptions, zodLine } from './options.ts';
import { readInputFile } from '../input-file.ts';

/** The stack output that holds the release state machine's ARN (template.yaml's `Outputs`). */
export const RELEASE_STATE_MACHINE_OUTPUT = 'ReleaseStateMachineArn';
export const RELEASE_STATE_MACHINE_ENV = 'COALMINE_RELEASE_STATE_MACHINE_ARN';
const POLL_MS = 15_000;

export const releaseOptionsSchema = z.strictObject({
  file: z.string({ error: 'is required: the release file' }).min(1, 'must name a release file'),
  ...stateMachineOptions,
  wait: z.boolean().default(false),
  waitMinutes: z.coerce.number().positive().optional(),
  json: z.boolean().default(false),
});
export type ReleaseOptions = z.input<typeof releaseOptionsSchema>;

/** How a release ended on AWS, as `run --local --release --json` reports it. */
export interface AwsReleaseResult {
  outcome: Ending | 'running';
  rollbackKind: RollbackKind | null;
  reason: string;
  errorName?: string;
  executionArn: string;
  name: string;
  consoleUrl: string;
  waves: {
    name: string;
    outcome: WaveOutcome;
    targets: ReleaseTargetOnAws[];
  }[];
}

export interface ReleaseTargetOnAws {
  region: string;
  functionName: string;
  /** The alias as the release left it, where the history tells (a canary that did not promote ended on its stable version, which only its own execution records). */
  alias: { name: string; version?: string; routing?: Record<string, number> };
  outcome: WaveOutcome;
  reason: string;
  rollbackKind?: RollbackKind | null;
  /** The target's canary execution, once the release started it. */
  execution?: string;
}

/** `release_<name>_<hash of the input>`, within Step Functions' 80 characters. */
export function releaseExecutionName(input: ReleaseInput): string {
  const hash = createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 8);
  const readable = input.name.replace(/[^A-Za-z0-9_-]/g, '-');
  return `release_${readable}`.slice(0, MAX_EXECUTION_NAME_LENGTH - hash.length - 1) + `_${hash}`;
}

export async function releaseCommand(rawOptions: ReleaseOptions | Record<string, unknown>, io: CliIo, deps: AwsDeps): Promise<ExitCode> {
  const parsed = releaseOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error, { stateMachine: '--state-machine', waitMinutes: '--wait-minutes' }));
  const options = parsed.data;
  if (options.stateMachine && options.stack) throw new InvalidRequestError('--state-machine and --stack: give one of them');
  const release = parseRelease(readJson(options.file, io.cwd));
  const stateMachineArn = await releaseStateMachineArn(options, io.env, deps);
  const name = releaseExecutionName(release.input);
  const input = JSON.stringify(release.input);
  const started = await deps.executions.start({ stateMachineArn, name, input });
  if (!started.started) {
    const existing = await deps.executions.describe(started.executionArn);
    if (!sameInput(existing.input, release.input)) {
      throw new CoalmineError(`execution ${name} already exists for release "${release.input.name}" with a different input (${existing.status}); rename the release to start another`);
    }
  }
  const consoleUrl = consoleUrlFor(started.executionArn);
  if (!options.wait) {
    const action = started.started ? 'started' : 'joined';
    io.stdout.write(options.json ? `${JSON.stringify({ action, executionArn: started.executionArn, name, consoleUrl })}\n` : `${started.started ? 'Started' : 'Found'} release ${name}\nconsole: ${consoleUrl}\n`);
    return EXIT.ok;
  }
  if (!options.json) io.stderr.write(`${started.started ? 'Started' : 'Joined'} release ${name}\nconsole: ${consoleUrl}\n`);

  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = deps.now ?? Date.now;
  const deadline = options.waitMinutes === undefined ? Infinity : now() + options.waitMinutes * 60_000;
  const shown = new Set<string>();
  let info = await deps.executions.describe(started.executionArn);
  for (;;) {
    const entries = (await deps.executions.history(started.executionArn)).entries;
    if (!options.json) for (const line of progressLines(entries, shown)) io.stderr.write(`${line}\n`);
    if (info.status !== 'RUNNING' || now() >= deadline) {
      const result = releaseResultOf(info, entries, release.input);
      io.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${summary(result).join('\n')}\n`);
      if (result.outcome === 'running') return EXIT.failed;
      return exitCodeForOutcome(result.outcome, result.errorName, result.rollbackKind);
    }
    await sleep(POLL_MS);
    info = await deps.executions.describe(started.executionArn);
  }
}

async function releaseStateMachineArn(options: { stateMachine?: string | undefined; stack?: string | undefined }, env: Record<string, string | undefined>, deps: AwsDeps): Promise<string> {
  if (options.stateMachine) return options.stateMachine;
  if (options.stack) return deps.stackOutputs.get(options.stack, RELEASE_STATE_MACHINE_OUTPUT);
  const fromEnv = env[RELEASE_STATE_MACHINE_ENV];
  if (fromEnv) return fromEnv;
  throw new StateMachineNotFoundError(`release state machine: pass --state-machine ARN or --stack NAME, or set ${RELEASE_STATE_MACHINE_ENV}`);
}

function readJson(file: string, cwd: string): unknown {
  return parseOptionJson('--file', readInputFile('--file', resolve(cwd, file), file), file);
}

function sameInput(text: string | undefined, input: ReleaseInput): boolean {
  try {
    return text !== undefined && isDeepStrictEqual(JSON.parse(text), JSON.parse(JSON.stringify(input)));
  } catch {
    return false;
  }
}

/** A wave's target as the release state machine records it ("Promoted here", "Not promoted here", "The canary failed"). */
interface TargetRecord {
  region: string;
  functionName: string;
  alias: string;
  ended: 'promoted' | 'not-promoted';
  stableVersion?: string;
  candidateVersion?: string;
  error?: string;
  cause?: string;
  execution?: string;
}
interface RestoreRecord {
  region: string;
  functionName: string;
  alias: string;
  restored: boolean;
  reason?: string;
  version?: string;
}

/** What the history holds: each wave the release ran (its name and targets), and what it restored. */
function readHistory(entries: HistoryEntry[]): { waves: Map<string, TargetRecord[]>; restored: Map<string, RestoreRecord> } {
  const waves = new Map<string, TargetRecord[]>();
  const restored = new Map<string, RestoreRecord>();
  for (const entry of entries) {
    if (!entry.type.endsWith('StateExited') || entry.output === undefined) continue;
    let output: { current?: { wave?: { name?: string }; result?: { targets?: TargetRecord[] } }; restored?: RestoreRecord[][] };
    try {
      output = JSON.parse(entry.output) as typeof output;
    } catch {
      continue;
    }
    const wave = output?.current?.wave?.name;
    const targets = output?.current?.result?.targets;
    if (typeof wave === 'string' && Array.isArray(targets)) waves.set(wave, targets);
    if (Array.isArray(output?.restored)) for (const record of output.restored.flat()) restored.set(targetKey(record), record);
  }
  return { waves, restored };
}

/** The error the release stops a wave's other canaries with (statemachine/release.asl.json, "Stop the canary"). */
const SIBLING_STOPPED = 'SiblingNotPromoted';

/** The canary's own error inside .sync's cause (its DescribeExecution), else the error itself. */
function canaryError(record: TargetRecord): { error: string; cause: string } {
  try {
    const described = JSON.parse(record.cause ?? '') as { Error?: string; Cause?: string };
    if (described.Error) return { error: described.Error, cause: described.Cause ?? '' };
  } catch {
    // Not a DescribeExecution: a canary that could not be started.
  }
  return { error: record.error ?? 'Error', cause: record.cause ?? '' };
}

export function releaseResultOf(info: ExecutionInfo, entries: HistoryEntry[], input: ReleaseInput): AwsReleaseResult {
  const { waves: ran, restored } = readHistory(entries);
  let stopper: { key: string; wave: string; error: string; cause: string; kind: RollbackKind | null } | undefined;
  const waves = input.waves.map((wave) => {
    const records = ran.get(wave.name);
    const targets = wave.targets.map((target): ReleaseTargetOnAws => {
      const key = targetKey(target);
      const record = records?.find((r) => targetKey(r) === key);
      const alias = { name: target.alias };
      const ran = record?.execution ? { execution: record.execution } : {};
      if (!record) return { region: target.region, functionName: target.functionName, alias, outcome: 'skipped' as WaveOutcome, reason: 'not started: the release stopped before this wave' };
      if (record.ended === 'promoted') {
        const put = restored.get(key);
        if (put?.restored) return { region: target.region, functionName: target.functionName, alias: { ...alias, version: put.version ?? record.stableVersion!, routing: {} }, outcome: 'rolled-back' as WaveOutcome, rollbackKind: null, ...ran, reason: `promoted, then ${put.reason ?? 'put back'} when the release rolled back` };
        return { region: target.region, functionName: target.functionName, alias: { ...alias, version: record.candidateVersion!, routing: {} }, outcome: 'promoted' as WaveOutcome, ...ran, reason: `promoted version ${record.candidateVersion}${put?.reason ? `; ${put.reason}` : ''}` };
      }
      const { error, cause } = canaryError(record);
      if (error === SIBLING_STOPPED) {
        // Stopped by the release, not the cause of its stop: the canary's status rule runs Cleanup.
        return { region: target.region, functionName: target.functionName, alias, outcome: 'rolled-back' as WaveOutcome, rollbackKind: null, ...ran, reason: `stopped: ${cause}; Cleanup puts its alias back on its stable version` };
      }
      const kind = rollbackKindOfError(error) ?? null;
      stopper ??= { key, wave: wave.name, error, cause, kind };
      return { region: target.region, functionName: target.functionName, alias, outcome: (kind ? 'rolled-back' : 'failed') as WaveOutcome, rollbackKind: kind ?? ('error' as const), ...ran, reason: `${error}: ${cause}` };
    });
    const outcomes = targets.map((t) => t.outcome);
    const outcome: WaveOutcome = outcomes.every((o) => o === 'skipped') ? 'skipped' : outcomes.includes('failed') ? 'failed' : outcomes.includes('rolled-back') ? 'rolled-back' : 'promoted';
    return { name: wave.name, outcome, targets };
  });
  const base = { executionArn: info.executionArn, name: info.name, consoleUrl: consoleUrlFor(info.executionArn), waves };
  if (info.status === 'RUNNING') return { outcome: 'running', rollbackKind: null, reason: 'still running: stopped following it (--wait-minutes); the release goes on', ...base };
  if (info.status === 'SUCCEEDED') return { outcome: 'promoted', rollbackKind: null, reason: `promoted everywhere: ${input.waves.length} waves`, ...base };
  const clean = info.error === 'ReleaseRolledBack' || info.error === 'ReleaseStopped';
  if (clean && stopper?.kind) {
    return { outcome: 'rolled-back', rollbackKind: stopper.kind, errorName: stopper.kind === 'inconclusive' ? ROLLBACK_ERRORS.inconclusive : ROLLBACK_ERRORS.regression, reason: `stopped at ${stopper.key} in wave "${stopper.wave}": ${stopper.cause || stopper.error}`, ...base };
  }
  const why = stopper ? `stopped at ${stopper.key} in wave "${stopper.wave}": ${stopper.error}: ${stopper.cause}` : `${info.error ?? info.status}: ${info.cause ?? ''}`;
  return { outcome: 'failed', rollbackKind: 'error', errorName: info.error ?? info.status, reason: why.trim(), ...base };
}

function progressLines(entries: HistoryEntry[], shown: Set<string>): string[] {
  const lines: string[] = [];
  const { waves, restored } = readHistory(entries);
  for (const [wave, targets] of waves) {
    if (shown.has(`wave ${wave}`)) continue;
    shown.add(`wave ${wave}`);
    lines.push(`Wave ${wave}:`);
    for (const t of targets) lines.push(`  ${targetKey(t)}: ${t.ended === 'promoted' ? 'promoted' : `did not promote (${canaryError(t).error})`}`);
  }
  for (const [key, record] of restored) {
    if (shown.has(`restore ${key}`)) continue;
    shown.add(`restore ${key}`);
    lines.push(`  roll back the release · ${key}: ${record.reason ?? (record.restored ? 'put back' : 'nothing to put back')}`);
  }
  return lines;
}

function summary(result: AwsReleaseResult): string[] {
  const title = result.outcome === 'promoted' ? 'Promoted everywhere' : result.outcome === 'rolled-back' ? 'Release rolled back' : result.outcome === 'running' ? 'Still running' : 'Release failed';
  const lines = [`${title}: ${result.reason}`];
  for (const wave of result.waves) {
    lines.push(`  ${wave.name}: ${wave.outcome}`);
    for (const t of wave.targets) lines.push(`    ${t.region} ${t.functionName}:${t.alias.name}  ${t.outcome}${t.alias.version ? `  (alias on version ${t.alias.version})` : ''}`);
  }
  return lines;
}
