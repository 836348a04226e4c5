import { Readable, Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { StackOutputs } from '../../src/aws/cloudformation.ts';
import { consoleCommand, releaseStateMachineOf } from '../../src/cli/console.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionArnFor, StepFunctionsExecutions } from '../../src/aws/stepfunctions.ts';
import { stepFunctionsSource } from '../../src/viewer/aws-source.ts';
import { viewerHandler } from '../../src/viewer/server.ts';
import { finalDescription, history, START, STATE_MACHINE_ARN } from '../cli/sfn-history.ts';

const sfn = mockClient(SFNClient);
const NAME = 'checkout-api_live_v13_0a1b2c3d';
const ARN = executionArnFor(STATE_MACHINE_ARN, NAME);
const INPUT = JSON.stringify({ functionName: 'checkout-api', alias: 'live', candidateVersion: '13' });

/** GETs a path from the handler, as the server would serve it. */
async function get(handler: ReturnType<typeof viewerHandler>, path: string): Promise<{ status: number; body: string }> {
  const request = Object.assign(Readable.from([]), { url: path, method: 'GET', headers: {} }) as unknown as IncomingMessage;
  let body = '';
  let status = 0;
  const sink = new Writable({ write: (chunk, _encoding, done) => ((body += String(chunk)), done()) });
  const response = Object.assign(sink, {
    writeHead: (code: number) => ((status = code), response),
    setHeader: () => response,
    end: (chunk?: string | Buffer) => {
      if (chunk) body += String(chunk);
    },
  }) as unknown as ServerResponse;
  await handler(request, response);
  return { status, body };
}

beforeEach(() => {
  sfn.reset();
  sfn.on(ListExecutionsCommand).resolves({
    executions: [
      { executionArn: ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'FAILED', startDate: new Date(START), stopDate: new Date(START + 16 * 60_000) },
      { executionArn: executionArnFor(STATE_MACHINE_ARN, 'still-going'), name: 'still-going', stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START) },
    ],
  });
  sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves(finalDescription(ARN, NAME, 'rolled-back', INPUT));
  sfn.on(GetExecutionHistoryCommand, { executionArn: ARN }).resolves({ events: history('rolled-back') });
});

describe('coalmine console --state-machine: real executions through the same fold', () => {
  const handler = () => viewerHandler(stepFunctionsSource(new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })), STATE_MACHINE_ARN));

  it('lists the finished executions with their outcome and reason, and says which are still running', async () => {
    const { status, body } = await get(handler(), '/');

    expect(status).toBe(200);
    expect(body).toContain(NAME);
    expect(body).toContain('Rolled back');
    expect(body).toContain('v13 fails 3.2× as often as v12');
    expect(body).toContain('1 not listed');
    expect(body).toContain('still running');
  });

  it('shows an execution as a step timeline with the checks its Evaluate state wrote', async () => {
    const { status, body } = await get(handler(), `/executions/${NAME}`);

    expect(status).toBe(200);
    expect(body).toContain('<p class="trail">10% ✓ → 50% ✗ → 100%</p>');
    expect(body).toContain('candidate fails 1.4–∞× as often as stable, 99% sure: roll back');
    expect(body).toContain('aria-label="Error ratio, candidate ÷ stable"');
  });

  it('reads a finished execution once, however often the list is shown', async () => {
    const source = stepFunctionsSource(new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })), STATE_MACHINE_ARN);
    await source.list();
    await source.list();

    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(1);
  });

  it('answers 404 for an execution the state machine does not have', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: executionArnFor(STATE_MACHINE_ARN, 'nope') }).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));

    const { status, body } = await get(handler(), '/executions/nope');

    expect(status).toBe(404);
    expect(body).toContain(`There is no execution nope in the executions of ${STATE_MACHINE_ARN}`);
  });
});

describe('consoleCommand with --state-machine', () => {
  it('serves the state machine\'s executions instead of local records', async () => {
    const io = bufferIo();
    const aws = { executions: new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })), stackOutputs: new StackOutputs(new CloudFormationClient({ region: 'eu-west-1' })) };

    const code = await consoleCommand({ stateMachine: STATE_MACHINE_ARN, port: 0 }, io, async () => {}, aws);

    expect(code).toBe(0);
    expect(io.stdout.text).toContain(`Showing the executions of ${STATE_MACHINE_ARN}.`);
  });
});

describe('coalmine console on AWS: releases in waves from the release state machine', () => {
  const RELEASE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:CoalmineRelease';
  const RELEASE_NAME = 'release_checkout-13_0a1b2c3d';
  const RELEASE_ARN = executionArnFor(RELEASE_MACHINE, RELEASE_NAME);
  const target = (region: string) => ({ region, functionName: 'checkout', alias: 'live', candidateVersion: '13' });
  const RELEASE_INPUT = JSON.stringify({ name: 'checkout-13', onFailure: 'rollback', waves: [{ name: 'canary region', targets: [target('eu-west-1')] }, { name: 'the rest', targets: [target('us-east-1')] }] });
  const canaryArn = (region: string) => executionArnFor(STATE_MACHINE_ARN, `checkout_live_v13_${region}`);
  const promoted = (region: string) => ({ region, functionName: 'checkout', alias: 'live', ended: 'promoted', stableVersion: '12', candidateVersion: '13', execution: canaryArn(region) });
  const waveExited = (name: string, targets: unknown[]) => ({ id: 1, timestamp: new Date(START), type: 'MapStateExited' as const, stateExitedEventDetails: { name: "Run the wave's canaries", output: JSON.stringify({ current: { wave: { name }, result: { targets } } }) } });
  const source = () => stepFunctionsSource(new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })), STATE_MACHINE_ARN, async () => RELEASE_MACHINE);

  function release(status: 'SUCCEEDED' | 'RUNNING', events: ReturnType<typeof waveExited>[]): void {
    sfn.on(ListExecutionsCommand, { stateMachineArn: RELEASE_MACHINE }).resolves({ executions: [{ executionArn: RELEASE_ARN, name: RELEASE_NAME, stateMachineArn: RELEASE_MACHINE, status, startDate: new Date(START) }] });
    sfn.on(DescribeExecutionCommand, { executionArn: RELEASE_ARN }).resolves({ executionArn: RELEASE_ARN, name: RELEASE_NAME, stateMachineArn: RELEASE_MACHINE, status, startDate: new Date(START), input: RELEASE_INPUT, ...(status === 'SUCCEEDED' ? { stopDate: new Date(START + 40 * 60_000), output: '{}' } : {}) });
    sfn.on(GetExecutionHistoryCommand, { executionArn: RELEASE_ARN }).resolves({ events });
  }

  it('lists a finished release above the executions, with its waves and outcome', async () => {
    release('SUCCEEDED', [waveExited('canary region', [promoted('eu-west-1')]), waveExited('the rest', [promoted('us-east-1')])]);

    const { status, body } = await get(viewerHandler(source()), '/');

    expect(status).toBe(200);
    expect(body).toContain(`<a href="/releases/${RELEASE_NAME}">checkout-13</a>`);
    expect(body).toContain('2 waves · 2 targets · onFailure rollback · on AWS');
    expect(body).toContain('promoted everywhere: 2 waves');
    expect(body).toContain(NAME);
  });

  it('shows a release page whose targets link to their canary executions', async () => {
    release('SUCCEEDED', [waveExited('canary region', [promoted('eu-west-1')]), waveExited('the rest', [promoted('us-east-1')])]);

    const { status, body } = await get(viewerHandler(source()), `/releases/${RELEASE_NAME}`);

    expect(status).toBe(200);
    expect(body).toContain('Wave 1: canary region');
    expect(body).toContain('Wave 2: the rest');
    expect(body).toContain('version 13');
    expect(body).toContain('<a href="/executions/checkout_live_v13_eu-west-1">canary</a>');
    expect(body).toContain('<a href="/executions/checkout_live_v13_us-east-1">canary</a>');
    expect(body).toContain('console.aws.amazon.com/states/home?region=eu-west-1');
  });

  it('shows a running release with its waves from its input, the unfinished ones not yet run', async () => {
    release('RUNNING', [waveExited('canary region', [promoted('eu-west-1')])]);

    const entry = await source().releases!.read(RELEASE_NAME);
    const { body } = await get(viewerHandler(source()), `/releases/${RELEASE_NAME}`);

    expect(entry!.result.outcome).toBe('running');
    expect(entry!.result.waves.map((wave) => wave.outcome)).toEqual(['promoted', 'skipped']);
    expect(entry!.result.waves[1]!.targets[0]!.reason).toBe('running: its canary has not ended yet');
    expect(body).toContain('<span class="badge outcome-running">Running</span>');
    expect(body).toContain('<span class="badge outcome-running">Not yet</span>');
    expect(body).toContain('once the wave ends');
    expect(body).not.toContain('Skipped');
  });

  it('still lists the executions when the releases cannot be read, and says why on the page', async () => {
    sfn.on(ListExecutionsCommand, { stateMachineArn: RELEASE_MACHINE }).rejects(Object.assign(new Error('State Machine Does Not Exist'), { name: 'StateMachineDoesNotExist' }));

    const { status, body } = await get(viewerHandler(source()), '/');

    expect(status).toBe(200);
    expect(body).toContain(NAME);
    expect(body).toContain(`Releases could not be read: could not list the executions of ${RELEASE_MACHINE}: StateMachineDoesNotExist`);
  });

  it('answers 404 for a release the state machine does not have', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: executionArnFor(RELEASE_MACHINE, 'nope') }).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));

    const { status } = await get(viewerHandler(source()), '/releases/nope');

    expect(status).toBe(404);
  });
});

describe("the console's release state machine", () => {
  const cloudformation = mockClient(CloudFormationClient);
  const aws = () => ({ executions: new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })), stackOutputs: new StackOutputs(new CloudFormationClient({ region: 'eu-west-1' })) });

  it("is the stack's ReleaseStateMachineArn output, looked up once", async () => {
    cloudformation.reset();
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'coalmine', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(0), Outputs: [{ OutputKey: 'ReleaseStateMachineArn', OutputValue: 'arn:aws:states:eu-west-1:123456789012:stateMachine:CoalmineRelease' }] }] });
    const arn = releaseStateMachineOf({ stack: 'coalmine' }, {}, aws())!;

    expect(await arn()).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:CoalmineRelease');
    expect(await arn()).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:CoalmineRelease');
    expect(cloudformation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it('is the environment\'s with only --state-machine, and none without it', async () => {
    expect(releaseStateMachineOf({}, {}, aws())).toBeUndefined();
    expect(await releaseStateMachineOf({}, { COALMINE_RELEASE_STATE_MACHINE_ARN: 'arn:x' }, aws())!()).toBe('arn:x');
  });
});
