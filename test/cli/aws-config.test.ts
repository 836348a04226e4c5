/**
 * The AWS commands' surroundings: which region and profile they use, what a person with missing
 * credentials is told, and what `--json` prints when a command fails.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StackOutputs } from '../../src/aws/cloudformation.ts';
import { executionArnFor, StepFunctionsExecutions } from '../../src/aws/stepfunctions.ts';
import { credentialsHint, regionFor, type AwsConfig } from '../../src/cli/aws-config.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

const sfn = mockClient(SFNClient);
const cloudformation = mockClient(CloudFormationClient);
const STATE_MACHINE = 'arn:aws:states:ap-southeast-2:123456789012:stateMachine:Coalmine';
const FUNCTION = 'arn:aws:lambda:eu-central-1:123456789012:function:checkout';

afterEach(() => {
  sfn.reset();
  cloudformation.reset();
});

/** Runs the command line and records the region and profile the AWS clients were made for. */
async function run(args: string[]) {
  const seen: AwsConfig[] = [];
  const io = bufferIo();
  const code = await main(['node', 'coalmine', ...args], io, {
    aws: (config) => {
      seen.push(config);
      return {
        executions: new StepFunctionsExecutions(new SFNClient({ region: config.region ?? 'eu-west-1' })),
        stackOutputs: new StackOutputs(new CloudFormationClient({ region: config.region ?? 'eu-west-1' })),
        sleep: async () => {},
      };
    },
  });
  return { code, stdout: io.stdout.text, stderr: io.stderr.text, seen };
}

describe('the region and profile of an AWS command', () => {
  it('takes the region from the state machine ARN when --region is not given', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArnFor(STATE_MACHINE, 'x'), startDate: new Date() });

    const result = await run(['start', '--function', 'checkout', '--alias', 'live', '--version', '13', '--state-machine', STATE_MACHINE]);

    expect(result.code).toBe(0);
    expect(result.seen).toEqual([{ region: 'ap-southeast-2' }]);
  });

  it('takes the region from the function ARN when that is the only ARN', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'coalmine', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: STATE_MACHINE }] }] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: executionArnFor(STATE_MACHINE, 'x'), startDate: new Date() });

    const result = await run(['start', '--function', FUNCTION, '--alias', 'live', '--version', '13', '--stack', 'coalmine']);

    expect(result.code).toBe(0);
    expect(result.seen[0]).toEqual({ region: 'eu-central-1' });
  });

  it('prefers --region, and passes --profile', async () => {
    const result = await run(['list', '--state-machine', STATE_MACHINE, '--region', 'us-east-1', '--profile', 'prod']);

    expect(result.seen[0]).toEqual({ region: 'us-east-1', profile: 'prod' });
  });

  it('reads the region of an execution ARN for status and abort', async () => {
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    const execution = executionArnFor(STATE_MACHINE, 'checkout_live_v13');
    const status = await run(['status', execution]);
    const aborted = await run(['abort', execution]);

    expect(status.seen[0]).toEqual({ region: 'ap-southeast-2' });
    expect(aborted.seen[0]).toEqual({ region: 'ap-southeast-2' });
  });

  it('leaves the region to the AWS SDK when neither --region nor an ARN names one', () => {
    expect(regionFor({}, 'checkout', undefined)).toEqual({});
    expect(regionFor({ profile: 'dev' }, 'arn:aws:iam::123456789012:role/x')).toEqual({ profile: 'dev' });
  });

  it('refuses a region that is not a region name, in one line (exit 2)', async () => {
    const result = await run(['list', '--state-machine', STATE_MACHINE, '--region', 'Sydney']);

    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('coalmine: --region: a region name, e.g. eu-west-1');
  });
});

describe('missing or broken credentials', () => {
  it.each([
    ['CredentialsProviderError', 'Could not load credentials from any providers'],
    ['ExpiredTokenException', 'The security token included in the request is expired'],
    ['UnrecognizedClientException', 'The security token included in the request is invalid.'],
  ])('get one line that says what to do (%s)', async (name, message) => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error(message), { name }));

    const result = await run(['start', '--function', 'checkout', '--alias', 'live', '--version', '13', '--state-machine', STATE_MACHINE]);

    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`no usable AWS credentials (${name}`);
    expect(result.stderr).toContain('--profile');
  });

  it('a missing region gets its own hint', () => {
    expect(credentialsHint(new Error('Region is missing'))).toBe('no AWS region: pass --region, or set AWS_REGION (or a region in your AWS profile)');
    expect(credentialsHint(new Error('alias live not found'))).toBeUndefined();
  });
});

describe('start --json, when it fails', () => {
  it('prints one JSON object naming the error, for bad input (exit 2)', async () => {
    const result = await run(['start', '--function', 'checkout', '--alias', 'live', '--state-machine', STATE_MACHINE, '--json']);

    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({ outcome: 'failed', error: 'InvalidRequestError', reason: '--version: is required (or candidateVersion in --request)' });
  });

  it('prints one JSON object naming the error, when AWS refuses (exit 1)', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));

    const result = await run(['start', '--function', 'checkout', '--alias', 'live', '--version', '13', '--state-machine', STATE_MACHINE, '--json']);

    expect(result.code).toBe(1);
    const printed = JSON.parse(result.stdout) as { outcome: string; error: string; reason: string };
    expect(printed.outcome).toBe('failed');
    expect(printed.error).toBe('CredentialsError');
    expect(printed.reason).toContain('--profile');
  });

  it('prints one JSON object for a usage error too', async () => {
    const result = await run(['start', '--function', 'checkout', '--wiat', '--json']);

    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'failed', error: 'InvalidRequestError' });
  });
});
