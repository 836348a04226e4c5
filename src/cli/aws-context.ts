/**
 * What the AWS commands share: the clients (one per process), and which state machine to talk to.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { StateMachineNotFoundError } from '../core/errors.ts';
import { StackOutputs } from '../aws/cloudformation.ts';
import { cloudWatchHistory, cloudWatchMetrics } from '../aws/cloudwatch.ts';
import { lambdaTrafficRouter } from '../aws/lambda.ts';
import { executionArnFor, StepFunctionsExecutions } from '../aws/stepfunctions.ts';
import type { MetricsSource, TrafficRouter } from '../core/ports.ts';
import type { AwsConfig } from './aws-config.ts';

/** The stack output that holds the state machine's ARN (template.yaml's `Outputs`). */
export const STATE_MACHINE_OUTPUT = 'StateMachineArn';
export const STATE_MACHINE_ENV = 'COALMINE_STATE_MACHINE_ARN';

export interface AwsDeps {
  executions: StepFunctionsExecutions;
  stackOutputs: StackOutputs;
  /** Lambda aliases, where `coalmine pause|resume|promote` write their control: in the command's region, or in another (a canary's function in another region). */
  router?: TrafficRouter;
  routerIn?: (region: string) => TrafficRouter;
  /** CloudWatch's per-version minutes, baseline and hourly history (`coalmine watch` reads them). */
  metrics?: MetricsSource;
  /** Waits between polls (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * The command's clients, each made on first use (region and credentials from `config`, else the
 * usual AWS chain), so that a command refused for bad input never builds one.
 */
export function awsDeps(config: AwsConfig = {}): AwsDeps {
  let executions: StepFunctionsExecutions | undefined;
  let stackOutputs: StackOutputs | undefined;
  let router: TrafficRouter | undefined;
  let metrics: MetricsSource | undefined;
  return {
    get router() {
      return (router ??= lambdaTrafficRouter(new LambdaClient(config)));
    },
    routerIn: (region) => (region === config.region ? (router ??= lambdaTrafficRouter(new LambdaClient(config))) : lambdaTrafficRouter(new LambdaClient({ ...config, region }))),
    get executions() {
      return (executions ??= new StepFunctionsExecutions(new SFNClient(config)));
    },
    get metrics() {
      if (!metrics) {
        const client = new CloudWatchClient(config);
        metrics = { ...cloudWatchMetrics(client), history: cloudWatchHistory(client) };
      }
      return metrics;
    },
    get stackOutputs() {
      return (stackOutputs ??= new StackOutputs(new CloudFormationClient(config)));
    },
  };
}

export interface StateMachineChoice {
  stateMachine?: string | undefined;
  stack?: string | undefined;
}

/** The state machine ARN: `--state-machine`, else `--stack`'s output, else the environment. */
export async function resolveStateMachineArn(choice: StateMachineChoice, env: Record<string, string | undefined>, deps: AwsDeps): Promise<string> {
  if (choice.stateMachine) return choice.stateMachine;
  if (choice.stack) return deps.stackOutputs.get(choice.stack, STATE_MACHINE_OUTPUT);
  const fromEnv = env[STATE_MACHINE_ENV];
  if (fromEnv) return fromEnv;
  throw new StateMachineNotFoundError(`state machine: pass --state-machine ARN or --stack NAME, or set ${STATE_MACHINE_ENV}`);
}

/** An execution ARN as given, or the ARN of the execution of that name on the chosen state machine. */
export async function resolveExecutionArn(nameOrArn: string, choice: StateMachineChoice, env: Record<string, string | undefined>, deps: AwsDeps): Promise<string> {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  return executionArnFor(await resolveStateMachineArn(choice, env, deps), nameOrArn);
}
