/**
 * Step Functions, as the CLI uses it: start, describe, follow, list and stop executions. One client
 * per process, passed in, so tests use `aws-sdk-client-mock`. This adapter maps the API and its
 * errors (to src/core/errors.ts); what to do about them is the CLI's business.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { AccessDeniedError, ExecutionNotFoundError, InvalidRequestError, StateMachineNotFoundError, ThrottledError } from '../core/errors.ts';
import { parseArn, regionOf } from '../core/arn.ts';
import type { ExecutionRegistry } from '../core/ports.ts';
import { toCoalmineError } from './errors.ts';

export const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** An execution as DescribeExecution (or, without input and output, ListExecutions) sees it. */
export interface ExecutionInfo {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt?: string;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** One history event, flattened to what Coalmine reads from it. */
export interface HistoryEntry {
  id: number;
  at: string;
  type: string;
  /** The state entered or exited. */
  state?: string;
  /** JSON text: a state's output, a task's result, or the execution's output. */
  output?: string;
  error?: string;
  cause?: string;
  /** A scheduled task: its resource (`events:putEvents.waitForTaskToken`) and the JSON parameters it was given (the task token among them). */
  resource?: string;
  parameters?: string;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  /**
   * The token of the last page read (undefined when that was the first page): start the next read
   * there, and only events after the ones already seen need skipping.
   */
  resumeToken?: string;
}

export type StartResult =
  | { started: true; executionArn: string; startedAt: string }
  /** An execution of that name exists (running with another input, or finished). */
  | { started: false; executionArn: string };

/**
 * The ARN an execution of `name` has on `stateMachineArn`.
 *
 * @example
 * executionArnFor('arn:aws:states:eu-west-1:123456789012:stateMachine:Coalmine', 'checkout_live_v13_1a2b3c4d');
 * // → 'arn:aws:states:eu-west-1:123456789012:execution:Coalmine:checkout_live_v13_1a2b3c4d'
 */
export function executionArnFor(stateMachineArn: string, name: string): string {
  const arn = parseArn(stateMachineArn);
  const [kind, machine] = arn?.resource.split(':') ?? [];
  if (!arn || kind !== 'stateMachine' || !machine) {
    throw new InvalidRequestError(`state machine: "${stateMachineArn.slice(0, 120)}" is not a state machine ARN`);
  }
  return `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.account}:execution:${machine}:${name}`;
}

/** The execution's page in the Step Functions console. */
export function consoleUrlFor(executionArn: string): string {
  const region = regionOf(executionArn) ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

export class StepFunctionsExecutions {
  constructor(private readonly client: SFNClient) {}

  /** Starts an execution; Step Functions itself joins a running one of the same name and input. */
  async start(input: { stateMachineArn: string; name: string; input: string }): Promise<StartResult> {
    try {
      const output = await this.client.send(new StartExecutionCommand(input));
      return { started: true, executionArn: output.executionArn!, startedAt: iso(output.startDate) };
    } catch (error) {
      if (nameOf(error) === 'ExecutionAlreadyExists') {
        return { started: false, executionArn: executionArnFor(input.stateMachineArn, input.name) };
      }
      throw mapError(error, `start an execution of ${input.stateMachineArn}`);
    }
  }

  async describe(executionArn: string): Promise<ExecutionInfo> {
    try {
      const output = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn: output.executionArn ?? executionArn,
        name: output.name ?? executionArn.split(':').at(-1)!,
        stateMachineArn: output.stateMachineArn ?? '',
        status: (output.status ?? 'RUNNING') as ExecutionStatus,
        startedAt: iso(output.startDate),
        ...(output.stopDate ? { stoppedAt: iso(output.stopDate) } : {}),
        ...(output.input !== undefined ? { input: output.input } : {}),
        ...(output.output !== undefined ? { output: output.output } : {}),
        ...(output.error !== undefined ? { error: output.error } : {}),
        ...(output.cause !== undefined ? { cause: output.cause } : {}),
      };
    } catch (error) {
      throw mapError(error, `describe ${executionArn}`);
    }
  }

  /**
   * Reads the history oldest first, from `resumeToken` (or the start) to the newest event, every
   * page of it. A token Step Functions no longer accepts starts over from the first page.
   */
  async history(executionArn: string, resumeToken?: string): Promise<HistoryPage> {
    const entries: HistoryEntry[] = [];
    let token = resumeToken;
    let pageToken = resumeToken;
    for (;;) {
      let output;
      try {
        output = await this.client.send(
          new GetExecutionHistoryCommand({ executionArn, reverseOrder: false, includeExecutionData: true, maxResults: 1000, ...(token ? { nextToken: token } : {}) }),
        );
      } catch (error) {
        if (nameOf(error) === 'InvalidToken' && token !== undefined && token === resumeToken) {
          return this.history(executionArn);
        }
        throw mapError(error, `read the history of ${executionArn}`);
      }
      entries.push(...(output.events ?? []).map(flatten));
      if (!output.nextToken) return { entries, ...(pageToken ? { resumeToken: pageToken } : {}) };
      pageToken = output.nextToken;
      token = output.nextToken;
    }
  }

  /** The newest events first, one page (enough to find the latest decision of a running canary). */
  async latestEvents(executionArn: string, count = 200): Promise<HistoryEntry[]> {
    try {
      const output = await this.client.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, includeExecutionData: true, maxResults: Math.min(1000, count) }),
      );
      return (output.events ?? []).map(flatten);
    } catch (error) {
      throw mapError(error, `read the history of ${executionArn}`);
    }
  }

  /** The most recent executions of a state machine, newest first, up to `limit`. */
  async list(stateMachineArn: string, limit: number): Promise<ExecutionInfo[]> {
    const executions: ExecutionInfo[] = [];
    let token: string | undefined;
    do {
      let output;
      try {
        output = await this.client.send(
          new ListExecutionsCommand({ stateMachineArn, maxResults: Math.min(1000, limit - executions.length), ...(token ? { nextToken: token } : {}) }),
        );
      } catch (error) {
        throw mapError(error, `list the executions of ${stateMachineArn}`);
      }
      for (const item of output.executions ?? []) {
        executions.push({
          executionArn: item.executionArn!,
          name: item.name!,
          stateMachineArn: item.stateMachineArn ?? stateMachineArn,
          status: (item.status ?? 'RUNNING') as ExecutionStatus,
          startedAt: iso(item.startDate),
          ...(item.stopDate ? { stoppedAt: iso(item.stopDate) } : {}),
        });
      }
      token = output.nextToken;
    } while (token && executions.length < limit);
    return executions.slice(0, limit);
  }

  /** Answers a task that waits for a callback (`coalmine approve`): its output is the Task's result. */
  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (error) {
      throw mapTaskError(error, 'answer the task');
    }
  }

  /** Fails a task that waits for a callback with a named error (`coalmine reject`: CanaryRejected). */
  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    try {
      await this.client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
    } catch (caught) {
      throw mapTaskError(caught, 'answer the task');
    }
  }

  async stop(executionArn: string, error: string, cause: string): Promise<{ stoppedAt: string }> {
    try {
      const output = await this.client.send(new StopExecutionCommand({ executionArn, error, cause }));
      return { stoppedAt: iso(output.stopDate) };
    } catch (caught) {
      throw mapError(caught, `stop ${executionArn}`);
    }
  }
}

/** Step Functions as the core's ExecutionRegistry (Cleanup checks that an execution really ended). */
export function stepFunctionsExecutionRegistry(client: SFNClient): ExecutionRegistry {
  const executions = new StepFunctionsExecutions(client);
  return {
    async describeExecution(executionArn) {
      const info = await executions.describe(executionArn);
      return { executionArn: info.executionArn, status: info.status, ...(info.input === undefined ? {} : { input: info.input }) };
    },
  };
}

function iso(date: Date | undefined): string {
  return (date ?? new Date(0)).toISOString();
}

/** The part of a history event Coalmine reads, whichever of the many detail fields carries it. */
function flatten(event: HistoryEvent): HistoryEntry {
  const entry: HistoryEntry = { id: event.id ?? 0, at: iso(event.timestamp), type: event.type ?? 'Unknown' };
  const entered = event.stateEnteredEventDetails;
  const exited = event.stateExitedEventDetails;
  const details =
    event.taskSucceededEventDetails ??
    event.executionSucceededEventDetails ??
    event.lambdaFunctionSucceededEventDetails;
  const failure =
    event.executionFailedEventDetails ??
    event.executionAbortedEventDetails ??
    event.executionTimedOutEventDetails ??
    event.taskFailedEventDetails ??
    event.lambdaFunctionFailedEventDetails;
  const scheduled = event.taskScheduledEventDetails;
  if (scheduled) {
    entry.resource = `${scheduled.resourceType}:${scheduled.resource}`;
    entry.parameters = scheduled.parameters;
  }
  if (entered?.name) entry.state = entered.name;
  if (exited?.name) entry.state = exited.name;
  const output = exited?.output ?? details?.output;
  if (output !== undefined) entry.output = output;
  if (failure?.error !== undefined) entry.error = failure.error;
  if (failure?.cause !== undefined) entry.cause = failure.cause;
  return entry;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

/** The task a token named is no longer waiting (answered, timed out, or its execution ended). */
export class TaskNotWaitingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskNotWaitingError';
  }
}

function mapTaskError(error: unknown, doing: string): Error {
  const name = nameOf(error);
  if (name === 'TaskTimedOut' || name === 'TaskDoesNotExist' || name === 'InvalidToken') {
    return new TaskNotWaitingError(`could not ${doing}: ${name}: ${error instanceof Error ? error.message : String(error)}`.replace(/\s+/g, ' '), { cause: error });
  }
  return mapError(error, doing);
}

/** Credentials that are missing, wrong or expired: to the CLI, the same as a refusal. */
const CREDENTIAL_ERRORS = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException', 'ExpiredToken', 'CredentialsProviderError', 'KmsAccessDeniedException']);

/**
 * SDK errors → Coalmine's named errors, keeping the original as `cause`: Step Functions' own
 * names here, the rest as every adapter maps them (src/aws/errors.ts).
 */
export function mapError(error: unknown, doing: string): Error {
  const name = nameOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const line = `could not ${doing}: ${name ? `${name}: ` : ''}${message}`.replace(/\s+/g, ' ').trim();
  if (name === 'ExecutionDoesNotExist') return new ExecutionNotFoundError(line, { cause: error });
  if (name === 'StateMachineDoesNotExist') return new StateMachineNotFoundError(line, { cause: error });
  if (['InvalidArn', 'InvalidName', 'InvalidExecutionInput', 'ValidationException'].includes(name)) return new InvalidRequestError(line, { cause: error });
  if (CREDENTIAL_ERRORS.has(name)) return new AccessDeniedError(line, { cause: error });
  if (name === 'KmsThrottlingException') return new ThrottledError(line, { cause: error });
  const mapped = toCoalmineError(error, `could not ${doing}`);
  return mapped instanceof Error ? mapped : new Error(line);
}
