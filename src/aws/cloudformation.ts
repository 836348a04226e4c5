/**
 * CloudFormation, as the CLI uses it: read one output of the deployed Coalmine stack (the state
 * machine's ARN). One client per process, passed in.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { StateMachineNotFoundError } from '../core/errors.ts';
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
