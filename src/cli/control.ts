/**
 * `coalmine approve|reject|promote|pause|resume <execution>`: what a person asks of a running canary.
 *
 * - approve / reject answer the canary's wait for approval: the CLI finds the open wait's task token
 *   in the execution's history (the "Wait for approval" TaskScheduled event's parameters) and sends
 *   SendTaskSuccess, or SendTaskFailure with the error CanaryRejected.
 * - pause / resume / promote write a control into the alias' owner mark (UpdateAlias with the
 *   alias' RevisionId, so nobody else's change is overwritten); Evaluate reads it at the next look.
 *   A promote while the canary waits for approval answers that wait instead.
 *
 * Exit 0 when the execution took it; 2 when it cannot (it has ended, does not wait for approval, is
 * not paused, or does not hold its alias), with one line naming why.
 */
import { userInfo } from 'node:os';
import * as z from 'zod';
import { AliasChangedError, InvalidRequestError } from '../core/errors.ts';
import { isOwner, readOwnerMark, withControl, type OperatorControl } from '../core/ownership.ts';
import type { TrafficRouter } from '../core/ports.ts';
import { ROLLBACK_ERRORS } from '../core/state.ts';
import { TaskNotWaitingError, type HistoryEntry } from '../aws/stepfunctions.ts';
import { resolveExecutionArn, type AwsDeps } from './aws-context.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { isFinished } from './follow.ts';
import type { CliIo } from './io.ts';
import { stateMachineOptions, zodLine } from './options.ts';

export const CONTROL_COMMANDS = ['approve', 'reject', 'promote', 'pause', 'resume'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

/** The error `coalmine reject` fails the wait with; the state machine's Catch turns it into a rollback. */
const REJECTED_ERROR = ROLLBACK_ERRORS.rejected;
/** The resource of the wait for approval (TaskScheduled's `resourceType:resource`). */
const APPROVAL_WAIT_RESOURCE = 'events:putEvents.waitForTaskToken';

/** The execution cannot take what was asked (exit 2): it has ended, or is not in a state where it applies. */
export class ExecutionNotWaitingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutionNotWaitingError';
  }
}

export const controlOptionsSchema = z.strictObject({
  execution: z.string().min(1, 'give an execution ARN or name'),
  /** Who asks, for the reasons people read (default: the user running the command). */
  by: z.string().min(1).max(100).optional(),
  /** Why, for approve and reject: shown in the reason of the promotion or the rollback. */
  comment: z.string().min(1).max(200).optional(),
  ...stateMachineOptions,
  json: z.boolean().default(false),
});
export type ControlOptions = z.input<typeof controlOptionsSchema>;


export interface ControlResult {
  command: ControlCommand;
  executionArn: string;
  name: string;
  /** How it reached the canary: the wait's task token, or the alias' mark. */
  via: 'task-token' | 'alias-mark';
  message: string;
}

const ANSWER_ATTEMPTS = 5;

export async function controlExecution(command: ControlCommand, rawOptions: ControlOptions, io: Pick<CliIo, 'env'>, deps: AwsDeps): Promise<ControlResult> {
  const options = parseControlOptions(rawOptions);
  const executionArn = await resolveExecutionArn(options.execution, options, io.env, deps);
  const by = options.by ?? whoAmI();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  // A wait for approval lasts a minute and is renewed with a new token: one that ran out just now
  // is followed by the next within seconds, so look again a few times before saying it does not wait.
  for (let attempt = 1; ; attempt++) {
    const info = await deps.executions.describe(executionArn);
    if (isFinished(info.status)) throw new ExecutionNotWaitingError(`${info.name} has ended (${info.status}); there is nothing to ${command}`);
    const events = await deps.executions.latestEvents(executionArn);
    const wait = openApprovalWait(events);
    const answers = command === 'approve' || command === 'reject' || (command === 'promote' && wait);
    if (!answers) return writeControl(command as 'promote' | 'pause' | 'resume', { executionArn, name: info.name }, events, deps);
    if (!wait) {
      if (attempt < ANSWER_ATTEMPTS && waitsSoon(events)) {
        await sleep(2000);
        continue;
      }
      throw new ExecutionNotWaitingError(`${info.name} is not waiting for approval (${latestStatus(events) ?? 'no decision yet'}); ${command} answers a canary that waits at its final step with approval "before-promote"`);
    }
    try {
      if (command === 'reject') {
        await deps.executions.sendTaskFailure(wait.token, REJECTED_ERROR, `rejected by ${by}${options.comment ? `: ${options.comment}` : ''}`);
      } else {
        await deps.executions.sendTaskSuccess(wait.token, { by: command === 'promote' ? `${by} (coalmine promote)` : by, ...(options.comment ? { comment: options.comment } : {}) });
      }
    } catch (error) {
      if (error instanceof TaskNotWaitingError && attempt < ANSWER_ATTEMPTS) {
        await sleep(2000);
        continue;
      }
      throw error instanceof TaskNotWaitingError ? new ExecutionNotWaitingError(`${info.name} stopped waiting for approval before the answer arrived (${error.message})`) : error;
    }
    const done = command === 'reject' ? 'rejected: it rolls back to the stable version' : 'approved: it promotes now';
    return { command, executionArn, name: info.name, via: 'task-token', message: `${info.name} ${done}; follow it with: coalmine status ${info.name}` };
  }
}

/** The wait for approval that is open now, newest events first: its task token. */
export function openApprovalWait(newestFirst: readonly HistoryEntry[]): { token: string } | undefined {
  for (const event of newestFirst) {
    if (event.type === 'TaskScheduled' && event.resource === APPROVAL_WAIT_RESOURCE) {
      const token = tokenIn(event.parameters);
      return token ? { token } : undefined;
    }
    // Anything newer than the wait's scheduling but its start means the wait has ended.
    if (event.type !== 'TaskStarted' && event.type !== 'TaskSubmitted') return undefined;
  }
  return undefined;
}

function tokenIn(parameters: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(parameters ?? '') as { Entries?: { Detail?: { taskToken?: unknown } }[] };
    const token = parsed.Entries?.[0]?.Detail?.taskToken;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** The latest state output that carries the canary's state (Plan, Shift, Evaluate…), newest first. */
function latestState(newestFirst: readonly HistoryEntry[]): { status?: string; plan?: { functionName?: string; alias?: string; region?: string }; progress?: { decision?: string } } | undefined {
  for (const event of newestFirst) {
    if (!event.output || !event.type.endsWith('StateExited')) continue;
    try {
      const state = JSON.parse(event.output) as { plan?: { functionName?: string; alias?: string } };
      if (state.plan?.functionName) return state;
    } catch {
      // not JSON: not a state
    }
  }
  return undefined;
}

function latestStatus(newestFirst: readonly HistoryEntry[]): string | undefined {
  const status = latestState(newestFirst)?.status;
  return status ? `now: ${status.length > 160 ? `${status.slice(0, 157)}...` : status}` : undefined;
}

/** The last look decided to wait for approval, and the wait is about to be (re)scheduled. */
function waitsSoon(newestFirst: readonly HistoryEntry[]): boolean {
  return latestState(newestFirst)?.progress?.decision === 'await-approval';
}

const CONTROL_OF: Record<'promote' | 'pause' | 'resume', OperatorControl | undefined> = { promote: 'promote', pause: 'pause', resume: undefined };

async function writeControl(command: 'promote' | 'pause' | 'resume', execution: { executionArn: string; name: string }, newestFirst: readonly HistoryEntry[], deps: AwsDeps): Promise<ControlResult> {
  const plan = latestState(newestFirst)?.plan;
  if (!plan?.functionName || !plan.alias) throw new ExecutionNotWaitingError(`${execution.name} has not planned its canary yet; try again in a moment`);
  // The alias is where the function is: the plan names its region when it is not the stack's.
  const router: TrafficRouter = (plan.region && deps.routerIn ? deps.routerIn(plan.region) : deps.router)!;
  const where = `${plan.functionName}:${plan.alias}`;
  for (let attempt = 1; ; attempt++) {
    const alias = await router.getAlias(plan.functionName, plan.alias);
    const mark = readOwnerMark(alias.description);
    if (!isOwner(mark, { id: execution.executionArn, name: execution.name })) {
      throw new ExecutionNotWaitingError(`alias ${where} is not held by ${execution.name} (it has let go of it, or not taken it yet); there is nothing to ${command}`);
    }
    if (command === 'resume' && mark.control !== 'pause') throw new ExecutionNotWaitingError(`${execution.name} is not paused; there is nothing to resume`);
    const description = withControl(alias.description, CONTROL_OF[command]);
    if (description === undefined) {
      throw new InvalidRequestError(`alias ${where}: its description leaves no room for the control in Coalmine's mark (Lambda keeps ${256} characters); shorten the original description`);
    }
    const message = `${execution.name} ${command === 'pause' ? 'pauses at its next look: the weights hold (a regression still rolls back) until coalmine resume' : command === 'resume' ? 'resumes at its next look' : 'promotes at its next look, skipping the steps left'}`;
    if (description === alias.description) return { command, executionArn: execution.executionArn, name: execution.name, via: 'alias-mark', message };
    try {
      await router.updateAlias(plan.functionName, plan.alias, { description }, alias.revisionId);
      return { command, executionArn: execution.executionArn, name: execution.name, via: 'alias-mark', message };
    } catch (error) {
      // The canary wrote the alias in between (a shift): read it again and ask again.
      if (!(error instanceof AliasChangedError) || attempt >= 3) throw error;
    }
  }
}

function whoAmI(): string {
  try {
    return userInfo().username || 'an operator';
  } catch {
    return 'an operator';
  }
}

function parseControlOptions(rawOptions: ControlOptions): z.output<typeof controlOptionsSchema> {
  const parsed = controlOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error, { execution: 'execution', stateMachine: '--state-machine' }));
  return parsed.data;
}

export async function controlCommand(command: ControlCommand, rawOptions: ControlOptions, io: CliIo, deps: AwsDeps): Promise<ExitCode> {
  const options = parseControlOptions(rawOptions);
  const result = await controlExecution(command, options, io, deps);
  io.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${result.message}\n`);
  return EXIT.ok;
}
