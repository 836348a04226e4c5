/**
 * CloudFormation, as the CLI uses it: read one output of the deployed Coalmine stack (the state
 * machine's ARN), and deploy that stack through a change set (`coalmine deploy`). One client per
 * process, passed in.
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Capability,
  type Parameter,
  type Tag,
} from '@aws-sdk/client-cloudformation';
import { DeploymentFailedError, StateMachineNotFoundError } from '../core/errors.ts';
import { mapError } from './stepfunctions.ts';

export class StackOutputs {
  constructor(private readonly client: CloudFormationClient) {}

  /**
   * The value of output `key` of stack `stackName`.
   * Throws StateMachineNotFoundError when the stack does not exist or has no such output.
   */
  async get(stackName: string, key: string): Promise<string> {
    let output;
    try {
      output = await this.client.send(new DescribeStacksCommand({ StackName: stackName }));
    } catch (error) {
      // CloudFormation says "Stack with id X does not exist" as a ValidationError.
      if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) {
        throw new StateMachineNotFoundError(`--stack: stack "${stackName}" does not exist in this account and region`, { cause: error });
      }
      throw mapError(error, `describe stack ${stackName}`);
    }
    const stack = output.Stacks?.[0];
    const value = stack?.Outputs?.find((candidate) => candidate.OutputKey === key)?.OutputValue;
    if (!value) {
      const status = stack?.StackStatus ? ` (status ${stack.StackStatus})` : '';
      throw new StateMachineNotFoundError(`--stack: stack "${stackName}"${status} has no output ${key}; is it a Coalmine stack?`);
    }
    return value;
  }
}

/** A stack's state, as `coalmine deploy` needs it. */
export interface StackInfo {
  stackId: string;
  status: string;
  /** The parameters the stack was last deployed with (keys). */
  parameterKeys: string[];
  outputs: Record<string, string>;
}

export interface ChangeSetInput {
  stackName: string;
  changeSetName: string;
  type: 'CREATE' | 'UPDATE';
  template: { body: string } | { url: string };
  parameters: Parameter[];
  capabilities: Capability[];
  tags: Tag[];
  description: string;
}

/** What CloudFormation says when a change set would change nothing: not a failure, just nothing to do. */
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

const SUCCEEDED = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

/** Pauses between polls of a change set and of the stack. */
export interface Polling {
  sleep: (ms: number) => Promise<void>;
  changeSetMs: number;
  stackMs: number;
}

const DEFAULT_POLLING: Polling = { sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), changeSetMs: 2_000, stackMs: 5_000 };

/**
 * Deploys a stack through a change set: create it, wait until it is ready (or found empty), execute
 * it, wait until the stack settles. Throws DeploymentFailedError with CloudFormation's own reason.
 */
export class StackDeployer {
  private readonly polling: Polling;

  constructor(
    private readonly client: CloudFormationClient,
    polling: Partial<Polling> = {},
  ) {
    this.polling = { ...DEFAULT_POLLING, ...polling };
  }

  /** The stack, or undefined when there is none of that name. */
  async describe(stackName: string): Promise<StackInfo | undefined> {
    let output;
    try {
      output = await this.client.send(new DescribeStacksCommand({ StackName: stackName }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) return undefined;
      throw mapError(error, `describe stack ${stackName}`);
    }
    const stack = output.Stacks?.[0];
    if (!stack) return undefined;
    return {
      stackId: stack.StackId ?? stackName,
      status: stack.StackStatus ?? 'UNKNOWN',
      parameterKeys: (stack.Parameters ?? []).flatMap((parameter) => (parameter.ParameterKey ? [parameter.ParameterKey] : [])),
      outputs: Object.fromEntries((stack.Outputs ?? []).flatMap((output) => (output.OutputKey ? [[output.OutputKey, output.OutputValue ?? '']] : []))),
    };
  }

  /** Creates the change set and waits for it: 'ready' to execute, or 'empty' (then deleted) when nothing would change. */
  async prepare(input: ChangeSetInput): Promise<{ id: string; state: 'ready' | 'empty' }> {
    let id: string;
    try {
      const created = await this.client.send(
        new CreateChangeSetCommand({
          StackName: input.stackName,
          ChangeSetName: input.changeSetName,
          ChangeSetType: input.type,
          ...('body' in input.template ? { TemplateBody: input.template.body } : { TemplateURL: input.template.url }),
          Parameters: input.parameters,
          Capabilities: input.capabilities,
          Tags: input.tags,
          Description: input.description,
        }),
      );
      id = created.Id ?? input.changeSetName;
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationError') {
        throw new DeploymentFailedError(`CloudFormation refused the change set: ${error.message}`, { cause: error });
      }
      throw mapError(error, `create change set for ${input.stackName}`);
    }
    for (;;) {
      const changeSet = await this.client.send(new DescribeChangeSetCommand({ ChangeSetName: id, StackName: input.stackName }));
      const status = changeSet.Status ?? 'UNKNOWN';
      if (status === 'CREATE_COMPLETE') return { id, state: 'ready' };
      if (status === 'FAILED') {
        const reason = changeSet.StatusReason ?? 'no reason given';
        if (NO_CHANGES.test(reason)) {
          await this.client.send(new DeleteChangeSetCommand({ ChangeSetName: id, StackName: input.stackName }));
          return { id, state: 'empty' };
        }
        throw new DeploymentFailedError(`change set ${input.changeSetName} failed: ${reason}`);
      }
      if (status === 'DELETE_COMPLETE' || status === 'DELETE_FAILED') throw new DeploymentFailedError(`change set ${input.changeSetName} was deleted before it could run (${status})`);
      await this.polling.sleep(this.polling.changeSetMs);
    }
  }

  /** Executes a ready change set and waits until the stack settles; returns it, or throws with the first failure's reason. */
  async execute(stackName: string, changeSetId: string, since: Date): Promise<StackInfo> {
    try {
      await this.client.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId, StackName: stackName }));
    } catch (error) {
      throw mapError(error, `execute the change set of ${stackName}`);
    }
    for (;;) {
      await this.polling.sleep(this.polling.stackMs);
      const stack = await this.describe(stackName);
      if (!stack) throw new DeploymentFailedError(`stack ${stackName} disappeared while it was being deployed`);
      if (stack.status.endsWith('_IN_PROGRESS')) continue;
      if (SUCCEEDED.has(stack.status)) return stack;
      throw new DeploymentFailedError(`stack ${stackName} ended ${stack.status}: ${await this.firstFailure(stackName, since)}`);
    }
  }

  /** The earliest resource failure since `since`: the cause, where later ones are only its consequences. */
  private async firstFailure(stackName: string, since: Date): Promise<string> {
    const output = await this.client.send(new DescribeStackEventsCommand({ StackName: stackName }));
    const failures = (output.StackEvents ?? [])
      .filter((event) => event.ResourceStatus?.endsWith('_FAILED') && (event.Timestamp ?? new Date(0)) >= since)
      .filter((event) => !/cancelled/i.test(event.ResourceStatusReason ?? ''))
      .sort((a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0));
    const first = failures[0];
    return first ? `${first.LogicalResourceId} ${first.ResourceStatus}: ${first.ResourceStatusReason ?? 'no reason given'}` : 'see the stack events in the CloudFormation console';
  }
}
