import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StackOutputs } from '../../src/aws/cloudformation.ts';
import { executionArnFor, StepFunctionsExecutions } from '../../src/aws/stepfunctions.ts';
import type { AwsDeps } from '../../src/cli/aws-context.ts';
import { executionNameFor } from '../../src/core/execution-name.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { finalDescription, history, START, STATE_MACHINE_ARN } from './sfn-history.ts';

const sfn = mockClient(SFNClient);

const aws = (): AwsDeps => ({
  executions: new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })),
  stackOutputs: new StackOutputs(new CloudFormationClient({ region: 'eu-west-1' })),
  now: () => START + 20 * 60_000,
});

async function run(...args: string[]) {
  const io = bufferIo({ env: { COALMINE_STATE_MACHINE_ARN: STATE_MACHINE_ARN } });
  const code = await main(['node', 'coalmine', ...args], io, { aws });
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

beforeEach(() => sfn.reset());

describe('main', () => {
  it('documents every command in --help, exit 0', async () => {
    const { code, stdout } = await run('--help');

    expect(code).toBe(0);
    for (const command of ['run', 'bench', 'start', 'status', 'list', 'abort', 'console']) expect(stdout).toContain(`  ${command} `);
  });

  it('documents every flag of start in start --help', async () => {
    const { code, stdout } = await run('start', '--help');

    expect(code).toBe(0);
    for (const flag of ['--function', '--alias', '--version', '--strategy', '--state-machine', '--stack', '--request', '--wait', '--json', '--execution-name', '--wait-minutes']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('Exit codes');
  });

  it('prints its own version with --version, and leaves start --version to start', async () => {
    const { code, stdout } = await run('--version');

    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [['start', '--wiat'], /unknown option '--wiat'.*--wait/],
    [['strat'], /unknown command 'strat'/],
    [['start', '--state-machine', STATE_MACHINE_ARN, '--stack', 'coalmine'], /cannot be used with/],
    [['status'], /missing required argument 'execution'/],
    [['list', '--limit', 'many'], /--limit: /],
    [['console', '--port', '70000'], /--port: must be from 0 to 65535/],
    [['bench', '--policies', 'coalmine,magic'], /--policies: unknown policy "magic"/],
  ])('exits 2 with one line on stderr for bad usage: %s', async (args, message) => {
    const { code, stderr, stdout } = await run(...args);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
  });

  it('shows the help and exits 2 when no command is given', async () => {
    const io = bufferIo();
    const code = await main(['node', 'coalmine'], io, { aws });

    expect(code).toBe(2);
    expect(io.stderr.text).toContain('Usage: coalmine');
  });
});

describe('coalmine status', () => {
  const name = executionNameFor('checkout-api', 'live', '13');
  const executionArn = executionArnFor(STATE_MACHINE_ARN, name);

  it('describes a running execution by name: its state, weight and latest decision with figures', async () => {
    const events = history('promoted').slice(0, 30);
    sfn.on(DescribeExecutionCommand, { executionArn }).resolves({ executionArn, name, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: '{}' });
    sfn.on(GetExecutionHistoryCommand, { executionArn, reverseOrder: true }).resolves({ events: [...events].reverse() });

    const { code, stdout } = await run('status', name, '--json');

    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ executionArn, status: 'RUNNING', functionName: 'checkout-api', alias: 'live', weight: 10, stepIndex: 0, stepCount: 2 });
    expect(report.latestDecision).toMatchObject({ decision: 'advance', weight: 10, figures: { candidateRequests: 240 } });
    expect(report.ending).toBeUndefined();
  });

  it('says how a finished execution ended, in words', async () => {
    sfn.on(DescribeExecutionCommand).resolves(finalDescription(executionArn, name, 'rolled-back', '{}'));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [...history('rolled-back')].reverse() });

    const { code, stdout } = await run('status', executionArn);

    expect(code).toBe(0);
    expect(stdout).toContain(`${name}  FAILED`);
    expect(stdout).toContain('checkout-api:live  12 → 13');
    expect(stdout).toContain('latest decision: +15m rollback at 50%');
    // The checks of that look, in words, the decisive first.
    expect(stdout).toContain('  ✗ errors      candidate fails 1.4–∞× as often as stable, 99% sure: roll back\n  ✓ latency     no difference yet: ratio between 0.5× and 2×\n');
    expect(stdout).toContain('rolled-back: v13 fails 3.2× as often as v12');
    expect(stdout).toContain('alias now on version 12');
  });

  it('exits 1 with one line when there is no such execution', async () => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));

    const { code, stderr } = await run('status', 'nope');

    expect(code).toBe(1);
    expect(stderr).toMatch(/^coalmine: could not describe arn:aws:states:eu-west-1:123456789012:execution:Coalmine:nope: ExecutionDoesNotExist/);
  });
});

describe('coalmine list', () => {
  it("lists a function's executions with outcome and reason, checking the input as well as the name", async () => {
    const mine = executionNameFor('checkout-api', 'live', '13');
    const other = executionNameFor('checkout-api-v2', 'live', '4');
    const byEvent = 'b1f0e2c4-event';
    const arn = (name: string) => executionArnFor(STATE_MACHINE_ARN, name);
    sfn.on(ListExecutionsCommand).resolves({
      executions: [mine, other, byEvent].map((name) => ({ executionArn: arn(name), name, stateMachineArn: STATE_MACHINE_ARN, status: 'SUCCEEDED', startDate: new Date(START) })),
    });
    sfn.on(DescribeExecutionCommand, { executionArn: arn(mine) }).resolves(finalDescription(arn(mine), mine, 'rolled-back', JSON.stringify({ functionName: 'checkout-api', alias: 'live', candidateVersion: '13' })));
    sfn.on(DescribeExecutionCommand, { executionArn: arn(other) }).resolves(finalDescription(arn(other), other, 'promoted', JSON.stringify({ functionName: 'checkout-api-v2', alias: 'live', candidateVersion: '4' })));
    sfn.on(DescribeExecutionCommand, { executionArn: arn(byEvent) }).resolves(
      finalDescription(arn(byEvent), byEvent, 'promoted', JSON.stringify({ 'detail-type': 'Canary Release Requested', source: 'coalmine', detail: { functionName: 'checkout-api', alias: 'live', candidateVersion: '14' } })),
    );

    const { code, stdout } = await run('list', '--function', 'checkout-api', '--json');

    expect(code).toBe(0);
    const { executions } = JSON.parse(stdout);
    expect(executions.map((row: { name: string; outcome: string; candidateVersion: string }) => [row.name, row.outcome, row.candidateVersion])).toEqual([
      [mine, 'rolled-back', '13'],
      [byEvent, 'promoted', '14'],
    ]);
    expect(executions[0].reason).toBe('v13 fails 3.2× as often as v12');
    expect(executions[0].minutes).toBe(16);
  });

  it('prints a table a person can scan', async () => {
    const name = executionNameFor('checkout-api', 'live', '13');
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: executionArnFor(STATE_MACHINE_ARN, name), name, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START) }] });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: executionArnFor(STATE_MACHINE_ARN, name), name, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: JSON.stringify({ functionName: 'checkout-api', alias: 'live', candidateVersion: '13' }) });

    const { stdout } = await run('list');

    expect(stdout.split('\n')[0]).toMatch(/^STARTED\s+FUNCTION:ALIAS\s+VERSION\s+OUTCOME\s+MIN\s+REASON$/);
    expect(stdout).toMatch(/2024-05-14 09:00\s+checkout-api:live\s+13\s+running\s+20\s+in progress/);
  });
});

describe('coalmine abort', () => {
  const name = executionNameFor('checkout-api', 'live', '13');
  const executionArn = executionArnFor(STATE_MACHINE_ARN, name);

  it('stops a running execution with a cause, and says the status-change rule restores the alias', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, name, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START) });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date(START + 60_000) });

    const { code, stdout } = await run('abort', name, '--reason', 'pager went off');

    expect(code).toBe(0);
    expect(sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input).toEqual({ executionArn, error: 'CoalmineAborted', cause: 'pager went off' });
    expect(stdout).toContain("status-change rule now rolls the alias back to the stable version");
  });

  it('stops nothing when the execution has already ended', async () => {
    sfn.on(DescribeExecutionCommand).resolves(finalDescription(executionArn, name, 'promoted', '{}'));

    const { code, stdout } = await run('abort', executionArn, '--json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ stopped: false, status: 'SUCCEEDED' });
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });

  it('exits 1 when stopping is denied', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, name, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START) });
    sfn.on(StopExecutionCommand).rejects(Object.assign(new Error('not authorized to perform: states:StopExecution'), { name: 'AccessDeniedException' }));

    const { code, stderr } = await run('abort', name);

    expect(code).toBe(1);
    expect(stderr).toContain('states:StopExecution');
  });

  describe('with --json, errors come as one JSON object on stdout', () => {
    it('for a usage error (exit 2)', async () => {
      const { code, stdout, stderr } = await run('start', '--function', 'checkout', '--json', '--wiat');

      expect(code).toBe(2);
      expect(JSON.parse(stdout)).toEqual({ outcome: 'failed', error: 'InvalidRequestError', reason: expect.stringContaining('--wiat') });
      expect(stderr.trim().split('\n')).toHaveLength(1);
    });

    it('for a request a command refuses (exit 2)', async () => {
      const { code, stdout } = await run('start', '--function', 'checkout', '--version', '13', '--json');

      expect(code).toBe(2);
      expect(JSON.parse(stdout)).toEqual({ outcome: 'failed', error: 'InvalidRequestError', reason: '--alias: is required (or alias in --request)' });
    });

    it('for a failure on AWS (exit 1)', async () => {
      sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('not authorized to perform: states:DescribeExecution'), { name: 'AccessDeniedException' }));

      const { code, stdout } = await run('status', 'some-execution', '--json');

      expect(code).toBe(1);
      expect(JSON.parse(stdout)).toMatchObject({ outcome: 'failed', error: 'AccessDeniedError' });
    });
  });
});
