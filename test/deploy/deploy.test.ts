/**
 * `coalmine deploy` end to end through the real command line, against mocked CloudFormation, S3 and
 * STS: what it uploads, the change set it makes, how it waits, and how it fails.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, PutPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StackDeployer } from '../../src/aws/cloudformation.ts';
import { ArtifactsBucket } from '../../src/aws/s3.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { deploy } from '../../src/deploy/deploy.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const BUCKET = `coalmine-artifacts-${ACCOUNT}-${REGION}`;
const TARGETS = 'arn:aws:lambda:*:123456789012:function:team-*,arn:aws:lambda:eu-west-1:123456789012:function:checkout';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/coalmine/1`;
const CHANGE_SET_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:changeSet/coalmine-deploy/1`;
const OUTPUTS = [{ OutputKey: 'StateMachineArn', OutputValue: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:CanaryStateMachine-abc` }];

const cloudformation = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sts = mockClient(STSClient);

function notFound(name: string, status = 404): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

function stack(status: string, extra: Partial<Stack> = {}): { Stacks: Stack[] } {
  return { Stacks: [{ StackName: 'coalmine', StackId: STACK_ID, StackStatus: status as Stack['StackStatus'], CreationTime: new Date(), Outputs: OUTPUTS, ...extra }] };
}

/** Runs `coalmine deploy ARGS` with the mocked clients; polling does not wait. */
async function deployWith(args: string[]) {
  const io = bufferIo();
  const code = await main(['node', 'coalmine', 'deploy', ...args], io, {
    deploy: ({ region }) => ({
      stacks: new StackDeployer(new CloudFormationClient({ region }), { sleep: async () => {} }),
      artifacts: new ArtifactsBucket(new S3Client({ region })),
      sts: new STSClient({ region }),
    }),
  });
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

function changeSetInput() {
  const calls = cloudformation.commandCalls(CreateChangeSetCommand);
  expect(calls).toHaveLength(1);
  return calls[0]!.args[0].input;
}

beforeEach(() => {
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci` });
  s3.on(HeadBucketCommand).resolves({});
  s3.on(HeadObjectCommand).resolves({});
  cloudformation.on(CreateChangeSetCommand).resolves({ Id: CHANGE_SET_ID, StackId: STACK_ID });
  cloudformation.on(DescribeChangeSetCommand).resolvesOnce({ Status: 'CREATE_IN_PROGRESS' }).resolves({ Status: 'CREATE_COMPLETE' });
  cloudformation.on(ExecuteChangeSetCommand).resolves({});
});

afterEach(() => {
  cloudformation.reset();
  s3.reset();
  sts.reset();
});

describe('coalmine deploy, for a stack that does not exist yet', () => {
  beforeEach(() => {
    cloudformation
      .on(DescribeStacksCommand)
      .rejectsOnce(Object.assign(new Error('Stack with id coalmine does not exist'), { name: 'ValidationError' }))
      .resolvesOnce(stack('CREATE_IN_PROGRESS'))
      .resolves(stack('CREATE_COMPLETE'));
    s3.on(HeadBucketCommand).rejects(notFound('NotFound'));
    s3.on(HeadObjectCommand).rejects(notFound('NotFound'));
  });

  it('makes the artifacts bucket, private, in the stack’s region', async () => {
    const result = await deployWith(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION]);

    expect(result.code).toBe(0);
    expect(s3.commandCalls(CreateBucketCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)[0]!.args[0].input.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
  });

  it('uploads each prebuilt function zip and the state machine definition, owned by this account', async () => {
    await deployWith(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION]);
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);

    expect(puts.map((put) => put.ExpectedBucketOwner)).toEqual(puts.map(() => ACCOUNT));
    const definition = puts.find((put) => put.Key!.includes('CanaryStateMachine'))!;
    expect(Buffer.from(definition.Body as Uint8Array).toString('utf8')).toBe(readFileSync(`${root}statemachine/canary.asl.json`, 'utf8'));
    const plan = puts.find((put) => put.Key!.includes('PlanFunction'))!;
    expect(Buffer.from(plan.Body as Uint8Array).equals(readFileSync(`${root}dist/functions/PlanFunction.zip`))).toBe(true);
  });

  it('creates a CREATE change set with the SAM transform, both capabilities, the parameters, and the code pointed at the uploads', async () => {
    const result = await deployWith(['--stack', 'coalmine', '--targets', TARGETS, '--notification-topic', `arn:aws:sns:${REGION}:${ACCOUNT}:deploys`, '--region', REGION]);
    const input = changeSetInput();
    const template = JSON.parse(input.TemplateBody!) as { Transform: string; Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const uploaded = new Set(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key));

    expect(result.code).toBe(0);
    expect(input.StackName).toBe('coalmine');
    expect(input.ChangeSetType).toBe('CREATE');
    expect(input.Capabilities).toEqual(['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND']);
    expect(input.Parameters).toEqual([
      { ParameterKey: 'TargetFunctionArns', ParameterValue: TARGETS },
      { ParameterKey: 'NotificationTopicArn', ParameterValue: `arn:aws:sns:${REGION}:${ACCOUNT}:deploys` },
    ]);
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
    const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Serverless::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const code = fn.Properties['CodeUri'] as { Bucket: string; Key: string };
      expect(code.Bucket).toBe(BUCKET);
      expect(uploaded.has(code.Key)).toBe(true);
    }
    const definition = template.Resources['CanaryStateMachine']!.Properties['DefinitionUri'] as { Bucket: string; Key: string };
    expect(uploaded.has(definition.Key)).toBe(true);
  });

  it('executes the change set, waits for the stack, and prints its outputs', async () => {
    const result = await deployWith(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION]);

    expect(cloudformation.commandCalls(ExecuteChangeSetCommand)[0]!.args[0].input).toEqual({ ChangeSetName: CHANGE_SET_ID, StackName: 'coalmine' });
    expect(result.stdout).toContain('Created stack coalmine in eu-west-1 (CREATE_COMPLETE)');
    expect(result.stdout).toContain(OUTPUTS[0]!.OutputValue);
  });

  it('prints one JSON object with --json', async () => {
    const result = await deployWith(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION, '--json']);

    expect(JSON.parse(result.stdout)).toMatchObject({ stack: 'coalmine', region: REGION, action: 'created', status: 'CREATE_COMPLETE', artifactsBucket: BUCKET, outputs: { StateMachineArn: OUTPUTS[0]!.OutputValue } });
  });

  it('refuses to create the stack without --targets, before touching anything (exit 2)', async () => {
    const result = await deployWith(['--stack', 'coalmine', '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('coalmine: --targets: is required to create the stack');
    expect(s3.calls()).toHaveLength(0);
    expect(cloudformation.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  });
});

describe('coalmine deploy, run again on a deployed stack', () => {
  beforeEach(() => {
    const deployed = stack('UPDATE_COMPLETE', {
      Parameters: [
        { ParameterKey: 'TargetFunctionArns', ParameterValue: TARGETS },
        { ParameterKey: 'TargetQueueArns', ParameterValue: '' },
        { ParameterKey: 'NotificationTopicArn', ParameterValue: '' },
        { ParameterKey: 'EventBusName', ParameterValue: 'default' },
        { ParameterKey: 'LogRetentionDays', ParameterValue: '30' },
      ],
    });
    cloudformation.on(DescribeStacksCommand).resolvesOnce(deployed).resolvesOnce(stack('UPDATE_IN_PROGRESS')).resolves(deployed);
  });

  it('updates it with an UPDATE change set, keeping the parameters it is not given, and uploads nothing already there', async () => {
    const result = await deployWith(['--stack', 'coalmine', '--queues', 'arn:aws:sqs:*:123456789012:team-*', '--region', REGION]);
    const input = changeSetInput();

    expect(result.code).toBe(0);
    expect(input.ChangeSetType).toBe('UPDATE');
    expect(input.Parameters).toEqual([
      { ParameterKey: 'TargetFunctionArns', UsePreviousValue: true },
      { ParameterKey: 'TargetQueueArns', ParameterValue: 'arn:aws:sqs:*:123456789012:team-*' },
      { ParameterKey: 'NotificationTopicArn', UsePreviousValue: true },
      { ParameterKey: 'EventBusName', UsePreviousValue: true },
      { ParameterKey: 'LogRetentionDays', UsePreviousValue: true },
    ]);
    expect(s3.commandCalls(CreateBucketCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(result.stdout).toContain('Updated stack coalmine');
  });

  it('names the same objects on every run, so the template does not change', async () => {
    await deployWith(['--stack', 'coalmine', '--region', REGION]);
    const first = changeSetInput().TemplateBody;
    cloudformation.resetHistory();
    await deployWith(['--stack', 'coalmine', '--region', REGION]);

    expect(changeSetInput().TemplateBody).toBe(first);
  });

  it('says "no changes" and exits 0 when the change set is empty, and deletes it', async () => {
    cloudformation.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set." });

    const result = await deployWith(['--stack', 'coalmine', '--region', REGION]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No changes');
    expect(cloudformation.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
    expect(cloudformation.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
  });
});

describe('coalmine deploy, when it cannot', () => {
  /** The error a --json run names on stdout. */
  async function failure(args: string[]) {
    const result = await deployWith([...args, '--json']);
    return { ...result, error: JSON.parse(result.stdout) as { outcome: string; error: string; reason: string } };
  }

  it.each([
    [['--targets', 'checkout'], '--targets: "checkout" is not an unqualified Lambda function ARN pattern'],
    [['--targets', 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live'], 'is not an unqualified Lambda function ARN pattern'],
    [['--targets', TARGETS, '--queues', 'orders'], '--queues: "orders" is not an SQS queue ARN pattern'],
    [['--targets', TARGETS, '--notification-topic', 'deploys'], '--notification-topic: "deploys" is not an SNS topic ARN'],
    [['--targets', TARGETS, '--parameter', 'LogRetentionDays=2'], '--parameter: LogRetentionDays must be one of'],
    [['--targets', TARGETS, '--parameter', 'Nope=1'], '--parameter: the template has no parameter Nope'],
    [['--targets', TARGETS, '--region', 'Ireland'], '--region: a region name'],
  ])('refuses bad input %j in one line, touching nothing (exit 2)', async (args, message) => {
    cloudformation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id coalmine does not exist'), { name: 'ValidationError' }));

    const result = await failure(['--stack', 'coalmine', '--region', REGION, ...args]);

    expect(result.code).toBe(2);
    expect(result.error.error).toBe('InvalidRequestError');
    expect(result.error.reason).toContain(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(s3.calls()).toHaveLength(0);
    expect(cloudformation.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  });

  it('never replaces a stack that is not Coalmine’s (exit 2)', async () => {
    cloudformation.on(DescribeStacksCommand).resolves(stack('UPDATE_COMPLETE', { Outputs: [{ OutputKey: 'ApiUrl', OutputValue: 'https://example.com' }] }));

    const result = await failure(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.error.reason).toContain('is not a Coalmine stack');
    expect(cloudformation.commandCalls(CreateChangeSetCommand)).toHaveLength(0);
  });

  it.each([
    ['ROLLBACK_COMPLETE', 'delete it'],
    ['UPDATE_IN_PROGRESS', 'wait until it settles'],
    ['UPDATE_ROLLBACK_FAILED', 'continue-update-rollback'],
  ])('names a stack it cannot update from %s: StackNotReadyError, with what to do (exit 1)', async (status, hint) => {
    cloudformation.on(DescribeStacksCommand).resolves(stack(status));

    const result = await failure(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION]);

    expect(result.code).toBe(1);
    expect(result.error.error).toBe('StackNotReadyError');
    expect(result.error.reason).toContain(hint);
  });

  it('names an artifacts bucket name another account owns: ArtifactsBucketError (exit 1)', async () => {
    cloudformation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id coalmine does not exist'), { name: 'ValidationError' }));
    s3.on(HeadBucketCommand).rejects(notFound('Forbidden', 403));

    const result = await failure(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION]);

    expect(result.code).toBe(1);
    expect(result.error.error).toBe('ArtifactsBucketError');
    expect(result.error.reason).toContain('--artifacts-bucket');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('names a change set CloudFormation failed: DeploymentFailedError with its reason (exit 1)', async () => {
    cloudformation.on(DescribeStacksCommand).resolves(stack('UPDATE_COMPLETE'));
    cloudformation.on(DescribeChangeSetCommand).resolves({ Status: 'FAILED', StatusReason: 'Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification document.' });

    const result = await failure(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION]);

    expect(result.code).toBe(1);
    expect(result.error.error).toBe('DeploymentFailedError');
    expect(result.error.reason).toContain('Invalid Serverless Application Specification');
    expect(cloudformation.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
  });

  it('names a stack that rolled back: DeploymentFailedError with the first resource that failed (exit 1)', async () => {
    cloudformation.on(DescribeStacksCommand).resolvesOnce(stack('UPDATE_COMPLETE')).resolvesOnce(stack('UPDATE_IN_PROGRESS')).resolves(stack('UPDATE_ROLLBACK_COMPLETE'));
    const later = new Date(Date.now() + 60_000);
    cloudformation.on(DescribeStackEventsCommand).resolves({
      StackEvents: [
        { StackId: STACK_ID, EventId: '3', StackName: 'coalmine', Timestamp: new Date(later.getTime() + 2000), LogicalResourceId: 'ShiftFunction', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'Resource update cancelled' },
        { StackId: STACK_ID, EventId: '2', StackName: 'coalmine', Timestamp: later, LogicalResourceId: 'PlanFunction', ResourceStatus: 'UPDATE_FAILED', ResourceStatusReason: 'Code storage limit exceeded' },
      ],
    });

    const result = await failure(['--stack', 'coalmine', '--targets', TARGETS, '--region', REGION]);

    expect(result.code).toBe(1);
    expect(result.error.error).toBe('DeploymentFailedError');
    expect(result.error.reason).toBe('stack coalmine ended UPDATE_ROLLBACK_COMPLETE: PlanFunction UPDATE_FAILED: Code storage limit exceeded');
  });
});

describe('deploy, with a template too large for a request body', () => {
  it('uploads the template too and hands CloudFormation its S3 URL', async () => {
    cloudformation.on(DescribeStacksCommand).resolvesOnce(stack('UPDATE_COMPLETE')).resolves(stack('UPDATE_COMPLETE'));
    const template = JSON.parse(readFileSync(`${root}dist/template.json`, 'utf8')) as Record<string, unknown>;
    // CloudFormation takes at most 51,200 bytes in TemplateBody; this one is larger.
    template['Metadata'] = { ...(template['Metadata'] as object), Padding: 'x'.repeat(60_000) };
    const readPackageFile = (path: string) => (path === 'dist/template.json' ? Buffer.from(JSON.stringify(template)) : readFileSync(`${root}${path}`));
    s3.on(HeadObjectCommand).rejects(notFound('NotFound'));

    const result = await deploy(
      { stack: 'coalmine', region: REGION, targets: TARGETS },
      {
        stacks: new StackDeployer(new CloudFormationClient({ region: REGION }), { sleep: async () => {} }),
        artifacts: new ArtifactsBucket(new S3Client({ region: REGION })),
        sts: new STSClient({ region: REGION }),
        log: () => {},
        readPackageFile,
      },
    );
    const input = changeSetInput();
    const uploadedTemplate = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input).find((put) => put.Key!.includes('/template-'))!;

    expect(result.action).toBe('updated');
    expect(input.TemplateBody).toBeUndefined();
    expect(input.TemplateURL).toBe(`https://${BUCKET}.s3.${REGION}.amazonaws.com/${uploadedTemplate.Key}`);
    expect(JSON.parse(Buffer.from(uploadedTemplate.Body as Uint8Array).toString('utf8')).Metadata.Padding).toHaveLength(60_000);
  });
});
