/**
 * `coalmine abort <executionArn|name>`: stops a canary. A stopped execution runs no Catch, so
 * Coalmine's rule on "Step Functions Execution Status Change" rolls the alias back out of band.
 */
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import type { ExecutionStatus } from '../aws/stepfunctions.ts';
import { resolveExecutionArn, type AwsDeps } from './aws-context.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { isFinished } from './follow.ts';
import type { CliIo } from './io.ts';
import { stateMachineOptions, zodLine } from './options.ts';

/** The error name a stopped execution carries, so the rollback rule and people can tell why. */
export const ABORT_ERROR = 'CoalmineAborted';

export const abortOptionsSchema = z.strictObject({
  execution: z.string().min(1, 'give an execution ARN or name'),
  reason: z.string().min(1).max(200).default('stopped with coalmine abort'),
  ...stateMachineOptions,
  json: z.boolean().default(false),
});
export type AbortOptions = z.input<typeof abortOptionsSchema>;

export interface AbortResult {
  executionArn: string;
  name: string;
  /** False when the execution had already ended: nothing was stopped. */
  stopped: boolean;
  status: ExecutionStatus;
  message: string;
}

export async function abortExecution(rawOptions: AbortOptions, io: Pick<CliIo, 'env'>, deps: AwsDeps): Promise<AbortResult> {
  const options = parseAbortOptions(rawOptions);
  const executionArn = await resolveExecutionArn(options.execution, options, io.env, deps);
  const info = await deps.executions.describe(executionArn);
  if (isFinished(info.status)) {
    return { executionArn, name: info.name, stopped: false, status: info.status, message: `${info.name} had already ended (${info.status}); nothing to stop` };
  }
  await deps.executions.stop(executionArn, ABORT_ERROR, options.reason);
  return {
    executionArn,
    name: info.name,
    stopped: true,
    status: 'ABORTED',
    message: `Stopped ${info.name}. Coalmine's status-change rule now rolls the alias back to the stable version (a stopped execution runs no Catch); check with: coalmine status ${info.name}`,
  };
}

function parseAbortOptions(rawOptions: AbortOptions): z.output<typeof abortOptionsSchema> {
  const parsed = abortOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error, { execution: 'execution', stateMachine: '--state-machine' }));
  return parsed.data;
}

export async function abortCommand(rawOptions: AbortOptions, io: CliIo, deps: AwsDeps): Promise<ExitCode> {
  const options = parseAbortOptions(rawOptions);
  const result = await abortExecution(options, io, deps);
  io.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${result.message}\n`);
  return EXIT.ok;
}
