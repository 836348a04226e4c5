/**
 * `coalmine list [--function F]`: recent executions, newest first, with how each ended and why.
 */
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import type { Ending, RollbackKind } from '../core/state.ts';
import type { ExecutionInfo, ExecutionStatus } from '../aws/stepfunctions.ts';
import { resolveStateMachineArn, type AwsDeps } from './aws-context.ts';
import { executionNamePrefixFor, functionNameOf } from '../core/execution-name.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { endingOf, isFinished } from './follow.ts';
import type { CliIo } from './io.ts';
import { stateMachineOptions, zodLine } from './options.ts';
import { progressFromDescription } from './status.ts';

export const listOptionsSchema = z.strictObject({
  function: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  ...stateMachineOptions,
  json: z.boolean().default(false),
});
export type ListOptions = z.input<typeof listOptionsSchema>;

export interface ListedExecution {
  name: string;
  executionArn: string;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt?: string;
  /** Minutes from start to stop (or to now, while running). */
  minutes: number;
  functionName?: string;
  alias?: string;
  candidateVersion?: string;
  outcome: 'running' | Ending;
  /** When it ended: why it was rolled back (`regression`, `inconclusive`, `error`), or null. */
  rollbackKind?: RollbackKind | null;
  reason: string;
}

/** How many executions to look through for a function's own (ListExecutions cannot filter by name). */
const SCAN_LIMIT = 1000;

function requestOf(info: ExecutionInfo): Record<string, unknown> | undefined {
  try {
    const input = JSON.parse(info.input ?? '') as unknown;
    if (typeof input !== 'object' || input === null) return undefined;
    const record = input as Record<string, unknown>;
    // A release event carries the request in its detail.
    return typeof record.detail === 'object' && record.detail !== null && 'detail-type' in record ? (record.detail as Record<string, unknown>) : record;
  } catch {
    return undefined;
  }
}

export async function listExecutions(rawOptions: ListOptions, io: Pick<CliIo, 'env'>, deps: AwsDeps & { now?: () => number }): Promise<ListedExecution[]> {
  const options = parseListOptions(rawOptions);
  const stateMachineArn = await resolveStateMachineArn(options, io.env, deps);
  const now = deps.now ?? Date.now;
  const wanted = options.function ? functionNameOf(options.function) : undefined;
  const summaries = await deps.executions.list(stateMachineArn, wanted ? SCAN_LIMIT : options.limit);
  // Names start with the function's name (start names them so); executions started otherwise
  // (events) are checked by their input below.
  const prefix = wanted ? executionNamePrefixFor(wanted) : undefined;
  const rows: ListedExecution[] = [];
  for (const summary of summaries) {
    if (rows.length >= options.limit) break;
    const info = await deps.executions.describe(summary.executionArn);
    const request = requestOf(info);
    const functionName = typeof request?.functionName === 'string' ? functionNameOf(request.functionName) : undefined;
    if (wanted && functionName !== wanted && !(functionName === undefined && prefix && summary.name.startsWith(prefix))) continue;
    const ending = isFinished(info.status) ? endingOf(progressFromDescription(info)) : undefined;
    const end = info.stoppedAt ? Date.parse(info.stoppedAt) : now();
    rows.push({
      name: info.name,
      executionArn: info.executionArn,
      status: info.status,
      startedAt: info.startedAt,
      ...(info.stoppedAt ? { stoppedAt: info.stoppedAt } : {}),
      minutes: Math.max(0, Math.round((end - Date.parse(info.startedAt)) / 60_000)),
      ...(functionName ? { functionName } : {}),
      ...(typeof request?.alias === 'string' ? { alias: request.alias } : {}),
      ...(request?.candidateVersion !== undefined ? { candidateVersion: String(request.candidateVersion) } : {}),
      outcome: ending?.outcome ?? 'running',
      ...(ending ? { rollbackKind: ending.rollbackKind } : {}),
      reason: ending?.reason ?? 'in progress',
    });
  }
  return rows;
}

function parseListOptions(rawOptions: ListOptions): z.output<typeof listOptionsSchema> {
  const parsed = listOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error, { stateMachine: '--state-machine' }));
  return parsed.data;
}

function pad(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

export function renderList(rows: ListedExecution[]): string {
  if (rows.length === 0) return 'No executions.\n';
  const header = `${pad('STARTED', 17)} ${pad('FUNCTION:ALIAS', 28)} ${pad('VERSION', 8)} ${pad('OUTCOME', 12)} ${pad('MIN', 5)} REASON`;
  const lines = rows.map((row) =>
    [
      pad(row.startedAt.slice(0, 16).replace('T', ' '), 17),
      pad(row.functionName ? `${row.functionName}:${row.alias ?? '?'}` : row.name, 28),
      pad(row.candidateVersion ?? '', 8),
      // An inconclusive or rejected rollback found no regression: it is not listed as one.
      pad(row.rollbackKind === 'inconclusive' || row.rollbackKind === 'rejected' ? row.rollbackKind : row.outcome, 12),
      pad(String(row.minutes), 5),
      row.reason,
    ].join(' '),
  );
  return [header, ...lines].join('\n') + '\n';
}

export async function listCommand(rawOptions: ListOptions, io: CliIo, deps: AwsDeps): Promise<ExitCode> {
  const options = parseListOptions(rawOptions);
  const rows = await listExecutions(options, io, deps);
  io.stdout.write(options.json ? `${JSON.stringify({ executions: rows })}\n` : renderList(rows));
  return EXIT.ok;
}
