/**
 * `coalmine status <executionArn|name>`: where an execution stands, its latest decision, and, once
 * it has ended, how.
 */
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import type { ExecutionInfo, ExecutionStatus } from '../aws/stepfunctions.ts';
import { resolveExecutionArn, type AwsDeps } from './aws-context.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { emptyProgress, endingOf, isFinished, readProgress, type DecisionRecord, type ExecutionEnding, type ExecutionProgress } from './follow.ts';
import type { CliIo } from './io.ts';
import { stateMachineOptions, zodLine } from './options.ts';
import { checkLine, decisionLine, formatFigures } from './progress-view.ts';

export const statusOptionsSchema = z.strictObject({
  execution: z.string().min(1, 'give an execution ARN or name'),
  ...stateMachineOptions,
  json: z.boolean().default(false),
});
export type StatusOptions = z.input<typeof statusOptionsSchema>;

export interface ExecutionStatusReport {
  executionArn: string;
  name: string;
  consoleUrl: string;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt?: string;
  state?: string;
  functionName?: string;
  alias?: string;
  stableVersion?: string;
  candidateVersion?: string;
  weight?: number;
  stepIndex?: number;
  stepCount?: number;
  latestDecision?: DecisionRecord;
  /** Once the execution has ended. */
  ending?: ExecutionEnding;
  aliasAfter?: { version: string; routing: Record<string, number> };
}

/** The progress that a description alone tells: the status, and the outcome or error it ended with. */
export function progressFromDescription(info: ExecutionInfo): ExecutionProgress {
  const progress = emptyProgress(info);
  const entries = [];
  if (info.status === 'SUCCEEDED') entries.push({ id: 1, at: info.stoppedAt ?? info.startedAt, type: 'ExecutionSucceeded', ...(info.output !== undefined ? { output: info.output } : {}) });
  const endings: Partial<Record<ExecutionStatus, string>> = { FAILED: 'ExecutionFailed', ABORTED: 'ExecutionAborted', TIMED_OUT: 'ExecutionTimedOut' };
  const type = endings[info.status];
  if (type) entries.push({ id: 1, at: info.stoppedAt ?? info.startedAt, type, ...(info.error !== undefined ? { error: info.error } : {}), ...(info.cause !== undefined ? { cause: info.cause } : {}) });
  return readProgress(progress, entries);
}

export function reportOf(info: ExecutionInfo, progress: ExecutionProgress): ExecutionStatusReport {
  const latest = progress.decisions.at(-1);
  return {
    executionArn: info.executionArn,
    name: info.name,
    consoleUrl: progress.consoleUrl,
    status: info.status,
    startedAt: info.startedAt,
    ...(info.stoppedAt ? { stoppedAt: info.stoppedAt } : {}),
    ...(progress.state ? { state: progress.state } : {}),
    ...(progress.functionName ? { functionName: progress.functionName } : {}),
    ...(progress.alias ? { alias: progress.alias } : {}),
    ...(progress.stableVersion ? { stableVersion: progress.stableVersion } : {}),
    ...(progress.candidateVersion ? { candidateVersion: progress.candidateVersion } : {}),
    ...(progress.weight !== undefined ? { weight: progress.weight } : {}),
    ...(progress.stepIndex !== undefined ? { stepIndex: progress.stepIndex } : {}),
    ...(progress.strategy ? { stepCount: progress.strategy.steps.length } : {}),
    ...(latest ? { latestDecision: latest } : {}),
    ...(isFinished(info.status) ? { ending: endingOf(progress) } : {}),
    ...(progress.outcome?.alias ? { aliasAfter: progress.outcome.alias } : {}),
  };
}

/** Reads the execution and the newest part of its history. Data only. */
export async function getStatus(rawOptions: StatusOptions, io: Pick<CliIo, 'env'>, deps: AwsDeps): Promise<ExecutionStatusReport> {
  const options = parseStatusOptions(rawOptions);
  const executionArn = await resolveExecutionArn(options.execution, options, io.env, deps);
  const info = await deps.executions.describe(executionArn);
  // Newest first, one page: enough to see the plan's state and the latest decision.
  const latest = await deps.executions.latestEvents(executionArn);
  const fromHistory = readProgress(emptyProgress(info), [...latest].reverse());
  const described = progressFromDescription(info);
  const progress: ExecutionProgress = {
    ...fromHistory,
    status: info.status,
    ...(described.error ? { error: described.error } : {}),
    ...(described.outcome ?? fromHistory.outcome ? { outcome: described.outcome ?? fromHistory.outcome! } : {}),
  };
  return reportOf(info, progress);
}

function parseStatusOptions(rawOptions: StatusOptions): z.output<typeof statusOptionsSchema> {
  const parsed = statusOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error, { execution: 'execution', stateMachine: '--state-machine' }));
  return parsed.data;
}

export function renderStatus(report: ExecutionStatusReport): string {
  const lines = [`${report.name}  ${report.status}${report.state ? ` · ${report.state}` : ''}`];
  if (report.functionName) {
    lines.push(`${report.functionName}:${report.alias ?? '?'}  ${report.stableVersion ?? '?'} → ${report.candidateVersion ?? '?'}`);
  }
  if (report.weight !== undefined) {
    const step = report.stepIndex !== undefined && report.stepIndex >= 0 ? `step ${report.stepIndex + 1}${report.stepCount ? `/${report.stepCount}` : ''} · ` : '';
    lines.push(`${step}candidate ${report.weight}%`);
  }
  if (report.latestDecision) {
    lines.push(`latest decision: ${decisionLine(report.latestDecision)}`);
    if (report.latestDecision.checks.length > 0) {
      // Every check of that look in plain words, the decisive first (figures stay in --json).
      for (const check of report.latestDecision.checks) lines.push(`  ${checkLine(check)}`);
    } else {
      for (const reason of report.latestDecision.reasons.slice(1)) lines.push(`  ${reason}`);
      const figures = formatFigures(report.latestDecision.figures, 20);
      if (figures && figures.length > 0 && report.latestDecision.reasons.length > 1) lines.push(`  ${figures}`);
    }
  }
  if (report.ending) lines.push(`${report.ending.rollbackKind === 'inconclusive' || report.ending.rollbackKind === 'rejected' ? `rolled-back (${report.ending.rollbackKind})` : report.ending.outcome}: ${report.ending.reason}`);
  if (report.aliasAfter) lines.push(`alias now on version ${report.aliasAfter.version}`);
  lines.push(`console: ${report.consoleUrl}`);
  return lines.join('\n') + '\n';
}

/** Exit 0 when the execution was found and read. */
export async function statusCommand(rawOptions: StatusOptions, io: CliIo, deps: AwsDeps): Promise<ExitCode> {
  const options = parseStatusOptions(rawOptions);
  const report = await getStatus(options, io, deps);
  io.stdout.write(options.json ? `${JSON.stringify(report)}\n` : renderStatus(report));
  return EXIT.ok;
}
