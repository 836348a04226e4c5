import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ExecutionAlreadyExists, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StackOutputs } from '../../src/aws/cloudformation.ts';
import { executionArnFor, StepFunctionsExecutions } from '../../src/aws/stepfunctions.ts';
import type { AwsDeps } from '../../src/cli/aws-context.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { releaseExecutionName, releaseResultOf } from '../../src/cli/release.ts';
import { parseRelease } from '../../src/core/release.ts';

// `coalmine release` on AWS, against mocked Step Functions and CloudFormation clients.

const sfn = mockClient(SFNClient);
const cloudformation = mockClient(CloudFormationClient);
const RELEASE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:CoalmineRelease';

const target = (region: string) => ({ region, functionName: 'checkout', alias: 'live', candidateVersion: '13' });
const RELEASE = {
  name: 'checkout-13',
  onFailure: 'roll-back-all',
  waves: [
    { name: 'first region', bakeMinutes: 30, targets: [target('eu-west-1')] },
    { name: 'the rest', targets: [{ ...target('eu-west-2'), scenario: 'error-3x' }] },
    { name: 'last', targets: [target('eu-west-3')] },
  ],
};
const INPUT = parseRelease(RELEASE).input;
const NAME = releaseExecutionName(INPUT);
const EXECUTION_ARN = executionArnFor(RELEASE_MACHINE, NAME);

let cwd: string;
beforeEach(() => {
  sfn.reset();
  cloudformation.reset();
  cwd = mkdtempSync(join(tmpdir(), 'coalmine-release-aws-'));
  writeFileSync(join(cwd, 'release.json'), JSON.stringify(RELEASE));
});

function aws(): AwsDeps {
  return {
    executions: new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })),
    stackOutputs: new StackOutputs(new CloudFormationClient({ region: 'eu-west-1' })),
    sleep: async () => {},
    now: () => 0,
  };
}

async function run(args: string[]) {
  const io = bufferIo({ cwd });
  const code = await main(['node', 'coalmine', 'release', ...args], io, { aws: () => aws() });
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

/** The release state machine's history as far as the CLI reads it: the waves' Map exits and the restores. */
function releaseHistory(waves: { name: string; targets: unknown[] }[], restored?: unknown[][]): HistoryEvent[] {
  const events: HistoryEvent[] = [{ id: 1, timestamp: new Date(0), type: 'ExecutionStarted', executionStartedEventDetails: { input: JSON.stringify(INPUT) } }];
  for (const wave of waves) {
    events.push({ id: events.length + 1, timestamp: new Date(0), type: 'MapStateExited', stateExitedEventDetails: { name: "Run the wave's canaries", output: JSON.stringify({ current: { wave: { name: wave.name }, result: { targets: wave.targets } } }) } });
  }
  if (restored) events.push({ id: events.length + 1, timestamp: new Date(0), type: 'MapStateExited', stateExitedEventDetails: { name: 'Roll back the release', output: JSON.stringify({ restored }) } });
  return events;
}
const promoted = (region: string) => ({ region, functionName: 'checkout', alias: 'live', ended: 'promoted', stableVersion: '12', candidateVersion: '13', execution: `arn:canary:${region}` });
const rolledBack = (region: string) => ({ region, functionName: 'checkout', alias: 'live', ended: 'not-promoted', error: 'States.TaskFailed', cause: JSON.stringify({ Status: 'FAILED', Error: 'CanaryRolledBack', Cause: 'candidate fails 3× as often as stable' }) });

describe('coalmine release', () => {
  it('starts the release state machine with the checked release as input, named after the release', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(0) });

    const { code, stdout } = await run(['--file', 'release.json', '--state-machine', RELEASE_MACHINE]);

    expect(code).toBe(0);
    expect(stdout).toContain(`Started release ${NAME}`);
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call).toMatchObject({ stateMachineArn: RELEASE_MACHINE, name: NAME });
    const input = JSON.parse(call.input!);
    expect(input.waves[0]).toEqual({ name: 'first region', bakeSeconds: 1800, targets: [target('eu-west-1')] });
    // The scenario is for local runs only: it never reaches AWS.
    expect(JSON.stringify(input)).not.toContain('scenario');
    expect(NAME).toMatch(/^release_checkout-13_[0-9a-f]{8}$/);
  });

  it('refuses a bad release file with one line naming the field, exit 2, before calling AWS', async () => {
    writeFileSync(join(cwd, 'release.json'), JSON.stringify({ ...RELEASE, onFailure: 'rollback' }));

    const { code, stderr } = await run(['--file', 'release.json', '--state-machine', RELEASE_MACHINE]);

    expect(code).toBe(2);
    expect(stderr.trim()).toBe('coalmine: onFailure: must be "stop" or "roll-back-all"');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("reads the release state machine from the stack's ReleaseStateMachineArn output with --stack", async () => {
    cloudformation.on(DescribeStacksCommand, { StackName: 'coalmine' }).resolves({
      Stacks: [{ StackName: 'coalmine', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [{ OutputKey: 'ReleaseStateMachineArn', OutputValue: RELEASE_MACHINE }] }],
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(0) });

    expect((await run(['--file', 'release.json', '--stack', 'coalmine'])).code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(RELEASE_MACHINE);
  });

  it('with --wait, follows a release that rolled back to its end: exit 3, each wave and target in the JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(0) });
    sfn.on(DescribeExecutionCommand)
      .resolvesOnce({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: RELEASE_MACHINE, status: 'RUNNING', startDate: new Date(0) })
      .resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: RELEASE_MACHINE, status: 'FAILED', startDate: new Date(0), error: 'ReleaseRolledBack', cause: 'A target did not promote' });
    sfn.on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: releaseHistory([{ name: 'first region', targets: [promoted('eu-west-1')] }]) })
      .resolves({
        events: releaseHistory(
          [{ name: 'first region', targets: [promoted('eu-west-1')] }, { name: 'the rest', targets: [rolledBack('eu-west-2')] }],
          [[{ region: 'eu-west-1', functionName: 'checkout', alias: 'live', restored: true, reason: 'put back on version 12', version: '12' }], [{ region: 'eu-west-2', functionName: 'checkout', alias: 'live', restored: false }]],
        ),
      });

    const { code, stdout } = await run(['--file', 'release.json', '--state-machine', RELEASE_MACHINE, '--wait', '--json']);

    expect(code).toBe(3);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'regression', reason: 'stopped at eu-west-2/checkout:live in wave "the rest": candidate fails 3× as often as stable' });
    expect(result.waves.map((w: { outcome: string }) => w.outcome)).toEqual(['rolled-back', 'rolled-back', 'skipped']);
    expect(result.waves[0].targets[0]).toMatchObject({ region: 'eu-west-1', functionName: 'checkout', alias: { name: 'live', version: '12', routing: {} }, outcome: 'rolled-back' });
  });

  it('with --wait, exits 0 when the release promoted everywhere, and prints each wave as it ends', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: RELEASE_MACHINE, status: 'SUCCEEDED', startDate: new Date(0), input: JSON.stringify(INPUT) });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: releaseHistory([
        { name: 'first region', targets: [promoted('eu-west-1')] },
        { name: 'the rest', targets: [promoted('eu-west-2')] },
        { name: 'last', targets: [promoted('eu-west-3')] },
      ]),
    });
    const io = bufferIo({ cwd });

    const code = await main(['node', 'coalmine', 'release', '--file', 'release.json', '--state-machine', RELEASE_MACHINE, '--wait'], io, { aws: () => aws() });

    expect(code).toBe(0);
    expect(io.stderr.text).toContain('Wave the rest:\n  eu-west-2/checkout:live: promoted');
    expect(io.stdout.text).toMatch(/^Promoted everywhere/);
    expect(io.stdout.text).toContain('eu-west-3 checkout:live  promoted  (alias on version 13)');
  });

  it('refuses to join an execution of the same name that ran another input', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: RELEASE_MACHINE, status: 'SUCCEEDED', startDate: new Date(0), input: '{"name":"other"}' });

    const { code, stderr } = await run(['--file', 'release.json', '--state-machine', RELEASE_MACHINE, '--wait']);

    expect(code).toBe(1);
    expect(stderr).toMatch(/already exists for release "checkout-13" with a different input/);
  });
});

describe('a release on AWS whose wave had a canary stopped by its sibling', () => {
  it('reports the sibling as stopped and put back, and the canary that rolled back as where the release stopped', () => {
    const input = parseRelease({ name: 'checkout-13', onFailure: 'stop', waves: [{ name: 'everywhere', targets: [target('eu-west-1'), target('eu-west-2')] }] }).input;
    const stopped = { region: 'eu-west-1', functionName: 'checkout', alias: 'live', ended: 'not-promoted', error: 'States.TaskFailed', cause: JSON.stringify({ Status: 'ABORTED', Error: 'SiblingNotPromoted', Cause: 'eu-west-2/checkout:live did not promote in the same wave' }) };
    const entries = releaseHistory([{ name: 'everywhere', targets: [stopped, rolledBack('eu-west-2')] }]).map((event) => ({ id: event.id!, at: new Date(0).toISOString(), type: event.type!, ...(event.stateExitedEventDetails?.output ? { output: event.stateExitedEventDetails.output } : {}) }));

    const result = releaseResultOf({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: RELEASE_MACHINE, status: 'FAILED', startedAt: new Date(0).toISOString(), error: 'ReleaseStopped' }, entries, input);

    expect(result).toMatchObject({ outcome: 'rolled-back', rollbackKind: 'regression', reason: 'stopped at eu-west-2/checkout:live in wave "everywhere": candidate fails 3× as often as stable' });
    expect(result.waves[0]!.targets[0]).toMatchObject({ outcome: 'rolled-back', reason: 'stopped: eu-west-2/checkout:live did not promote in the same wave; Cleanup puts its alias back on its stable version' });
  });
});
