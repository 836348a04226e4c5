/**
 * Reads statemachine/canary.asl.json for a local run: finds what each Task state does from its
 * resource and its `${...}` placeholder (not from state names, so renaming a state cannot break the
 * local runner), and substitutes the placeholders as SAM's DefinitionSubstitutions would.
 */
import { readFileSync } from 'node:fs';
import { packageFile } from '../package-files.ts';

/** The step code a Lambda Task runs, named after `createSteps`' methods. */
export const STEP_BY_PLACEHOLDER = {
  PlanFunctionArn: 'plan',
  PreTrafficFunctionArn: 'preTraffic',
  ShiftFunctionArn: 'shift',
  EvaluateFunctionArn: 'evaluate',
  PromoteFunctionArn: 'promote',
  RollbackFunctionArn: 'rollback',
  RestoreFunctionArn: 'restore',
  RedriveFunctionArn: 'redrive',
} as const;

export type StepName = (typeof STEP_BY_PLACEHOLDER)[keyof typeof STEP_BY_PLACEHOLDER];

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const EVENTS_PUT_EVENTS = 'arn:aws:states:::events:putEvents';
/** Publishes an event with a task token and waits for the answer: the wait for a person's approval. */
export const EVENTS_PUT_EVENTS_WAIT = 'arn:aws:states:::events:putEvents.waitForTaskToken';
export const CLOUDWATCH_DESCRIBE_ALARMS = 'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms';

/** Step Functions' AWS SDK integrations for Logs Insights: the cold-start query (src/core/cold-start-query.ts). */
export const LOGS_START_QUERY = 'arn:aws:states:::aws-sdk:cloudwatchlogs:startQuery';
export const LOGS_GET_QUERY_RESULTS = 'arn:aws:states:::aws-sdk:cloudwatchlogs:getQueryResults';

export type TaskKind = { kind: 'lambda'; step: StepName } | { kind: 'putEvents' } | { kind: 'startQuery' } | { kind: 'getQueryResults' } | { kind: 'approval' } | { kind: 'describeAlarms' };

/** A definition ready to run, with what each state does. */
export interface LocalDefinition {
  /** The ASL with placeholders substituted. */
  definition: AslDefinition;
  /** Task state name → what it runs. */
  tasks: Map<string, TaskKind>;
  /** Wait state name → its definition (the runner moves the simulated clock instead of waiting). */
  waits: Map<string, WaitDefinition>;
  /** Every state name that has a Retry (their pauses are overridden to 0). */
  retrying: string[];
}

export interface WaitDefinition {
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Retry?: unknown[];
  Branches?: AslDefinition[];
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  [key: string]: unknown;
}

export const DEFINITION_PATH = packageFile('statemachine', 'canary.asl.json');

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** What a placeholder stands for locally: Lambda ARNs for `*FunctionArn`, a plain name otherwise. */
export function substituteValue(name: string): string {
  if (name.endsWith('FunctionArn')) return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:coalmine-${name.slice(0, -'FunctionArn'.length).toLowerCase()}`;
  if (name.endsWith('ExecutionArnPrefix')) return `arn:aws:states:${REGION}:${ACCOUNT}:execution:coalmine-${name.slice(0, -'ExecutionArnPrefix'.length).toLowerCase()}:`;
  if (name.endsWith('Arn')) return `arn:aws:local:${REGION}:${ACCOUNT}:${name.slice(0, -'Arn'.length)}`;
  return `coalmine-local-${name}`;
}

/**
 * Prepares an ASL text (default: the repository's statemachine/canary.asl.json).
 * Throws when a Task does something the local runner cannot run, naming the state.
 */
export function prepareDefinition(text: string = readFileSync(DEFINITION_PATH, 'utf8')): LocalDefinition {
  const raw = JSON.parse(text) as AslDefinition;
  const tasks = new Map<string, TaskKind>();
  const waits = new Map<string, WaitDefinition>();
  const retrying: string[] = [];
  visit(raw, (name, state) => {
    if (state.Retry) retrying.push(name);
    if (state.Type === 'Wait') {
      const { Seconds, SecondsPath, Timestamp, TimestampPath } = state as WaitDefinition;
      waits.set(name, { ...(Seconds === undefined ? {} : { Seconds }), ...(SecondsPath ? { SecondsPath } : {}), ...(Timestamp ? { Timestamp } : {}), ...(TimestampPath ? { TimestampPath } : {}) });
    }
    if (state.Type !== 'Task') return;
    tasks.set(name, taskKind(name, state));
  });
  const substituted = JSON.parse(text.replace(PLACEHOLDER, (_, placeholder: string) => substituteValue(placeholder))) as AslDefinition;
  return { definition: substituted, tasks, waits, retrying };
}

function taskKind(name: string, state: AslState): TaskKind {
  const resource = state.Resource ?? '';
  if (resource === EVENTS_PUT_EVENTS) return { kind: 'putEvents' };
  if (resource === LOGS_START_QUERY) return { kind: 'startQuery' };
  if (resource === LOGS_GET_QUERY_RESULTS) return { kind: 'getQueryResults' };
  // aws-local-stepfunctions cannot wait for a task token: the runner answers for the person.
  if (resource === EVENTS_PUT_EVENTS_WAIT) return { kind: 'approval' };
  if (resource === CLOUDWATCH_DESCRIBE_ALARMS) return { kind: 'describeAlarms' };
  if (resource === LAMBDA_INVOKE) {
    const functionName = state.Parameters?.['FunctionName'];
    const placeholder = typeof functionName === 'string' ? /^\$\{([A-Za-z0-9_]+)\}$/.exec(functionName)?.[1] : undefined;
    const step = placeholder ? (STEP_BY_PLACEHOLDER as Record<string, StepName | undefined>)[placeholder] : undefined;
    if (!step) {
      throw new Error(`state "${name}": FunctionName ${JSON.stringify(functionName)} is not one of ${Object.keys(STEP_BY_PLACEHOLDER).map((p) => `\${${p}}`).join(', ')}; the local runner cannot run it`);
    }
    return { kind: 'lambda', step };
  }
  throw new Error(`state "${name}": resource ${resource} has no local implementation`);
}

function visit(definition: AslDefinition, each: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(definition.States)) {
    each(name, state);
    for (const nested of [...(state.Branches ?? []), ...(state.ItemProcessor ? [state.ItemProcessor] : []), ...(state.Iterator ? [state.Iterator] : [])]) {
      visit(nested, each);
    }
  }
}
