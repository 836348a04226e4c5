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
import { executionNameFor } from '../../src/core/execution-name.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { finalDescription, history, START, STATE_MACHINE_ARN, type Ending } from './sfn-history.ts';

const sfn = mockClient(SFNClient);
const cloudformation = mockClient(CloudFormationClient);

const NAME = executionNameFor('checkout-api', 'live', '13');
const EXECUTION_ARN = executionArnFor(STATE_MACHINE_ARN, NAME);
const REQUEST = { functionName: 'checkout-api', alias: 'live', candidateVersion: '13' };
const INPUT = JSON.stringify(REQUEST);
const BASE_ARGS = ['node', 'coalmine', 'start', '--function', 'checkout-api', '--alias', 'live', '--version', '13', '--state-machine', STATE_MACHINE_ARN];

/** The AWS side, with a clock that moves (and the history that grows) only when the CLI sleeps between polls. */
function awsWith(onSleep: () => void = () => {}): AwsDeps & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    executions: new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })),
    stackOutputs: new StackOutputs(new CloudFormationClient({ region: 'eu-west-1' })),
    sleep: async (ms) => {
      sleeps.push(ms);
      onSleep();
    },
    now: () => START + sleeps.reduce((sum, ms) => sum + ms, 0),
    sleeps,
  };
}

async function run(args: string[], aws: AwsDeps, options: { tty?: boolean; cwd?: string; env?: Record<string, string> } = {}) {
  const io = bufferIo({ tty: options.tty ?? false, env: options.env ?? {}, ...(options.cwd ? { cwd: options.cwd } : {}) });
  if (options.tty) (io.stderr as { isTTY: boolean }).isTTY = true;
  const code = await main(args, io, { aws: () => aws });
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

/**
 * GetExecutionHistory over a history that grows by `perPoll` events each time the CLI sleeps,
 * served in pages of `pageSize` whose token says where the page starts.
 */
function serveGrowingHistory(events: HistoryEvent[], perPoll = 7, pageSize = 4) {
  let visible = Math.min(events.length, perPoll);
  const tokens: (string | undefined)[] = [];
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string; reverseOrder?: boolean }) => {
    expect(input.reverseOrder).toBe(false);
    tokens.push(input.nextToken);
    const from = input.nextToken ? Number(input.nextToken.slice(1)) : 0;
    const to = Math.min(visible, from + pageSize);
    return { events: events.slice(from, to), ...(to < visible ? { nextToken: `p${to}` } : {}) };
  });
  return { grow: () => (visible = Math.min(events.length, visible + perPoll)), tokens };
}

beforeEach(() => {
  sfn.reset();
  cloudformation.reset();
});

describe('coalmine start', () => {
  it('starts an execution named after the function, alias and version, with the request as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });

    const { code, stdout } = await run([...BASE_ARGS], awsWith());

    expect(code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toEqual({ stateMachineArn: STATE_MACHINE_ARN, name: NAME, input: INPUT });
    expect(stdout).toContain(`Started ${NAME}`);
    expect(stdout).toContain(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`);
  });

  it('refuses a bad request with one line and exit 2 before calling AWS', async () => {
    const { code, stderr } = await run(['node', 'coalmine', 'start', '--function', 'checkout-api', '--alias', '123', '--version', '13', '--state-machine', STATE_MACHINE_ARN], awsWith());

    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/alias: "123" is not an alias name/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses "latest" as the version, since the name must tell releases apart', async () => {
    const { code, stderr } = await run(['node', 'coalmine', 'start', '--function', 'checkout-api', '--alias', 'live', '--version', 'latest', '--state-machine', STATE_MACHINE_ARN], awsWith());

    expect(code).toBe(2);
    expect(stderr).toContain('--version');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('says where to find the state machine when none is given, exit 2', async () => {
    const { code, stderr } = await run(['node', 'coalmine', 'start', '--function', 'checkout-api', '--alias', 'live', '--version', '13'], awsWith());

    expect(code).toBe(2);
    expect(stderr).toContain('COALMINE_STATE_MACHINE_ARN');
  });

  it('takes the state machine from the environment', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });

    const { code } = await run(['node', 'coalmine', 'start', '--function', 'checkout-api', '--alias', 'live', '--version', '13'], awsWith(), { env: { COALMINE_STATE_MACHINE_ARN: STATE_MACHINE_ARN } });

    expect(code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(STATE_MACHINE_ARN);
  });

  it("reads the state machine from the stack's StateMachineArn output with --stack", async () => {
    cloudformation.on(DescribeStacksCommand, { StackName: 'coalmine' }).resolves({
      Stacks: [{ StackName: 'coalmine', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: STATE_MACHINE_ARN }] }],
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });

    const { code } = await run(['node', 'coalmine', 'start', '--function', 'checkout-api', '--alias', 'live', '--version', '13', '--stack', 'coalmine'], awsWith());

    expect(code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.stateMachineArn).toBe(STATE_MACHINE_ARN);
  });

  it('exits 2 when the stack does not exist', async () => {
    cloudformation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id nope does not exist'), { name: 'ValidationError' }));

    const { code, stderr } = await run(['node', 'coalmine', 'start', '--function', 'checkout-api', '--alias', 'live', '--version', '13', '--stack', 'nope'], awsWith());

    expect(code).toBe(2);
    expect(stderr).toContain('stack "nope" does not exist');
  });

  it('lays the flags over the fields of --request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-start-'));
    writeFileSync(join(dir, 'canary.json'), JSON.stringify({ functionName: 'checkout-api', alias: 'live', candidateVersion: '9', analysis: { alpha: 0.05 } }));
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });

    const { code } = await run(['node', 'coalmine', 'start', '--request', 'canary.json', '--version', '13', '--strategy', '{"steps":[5,50],"intervalMinutes":3}', '--state-machine', STATE_MACHINE_ARN], awsWith(), { cwd: dir });

    expect(code).toBe(0);
    const sent = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(JSON.parse(sent.input!)).toEqual({ functionName: 'checkout-api', alias: 'live', candidateVersion: '13', analysis: { alpha: 0.05 }, strategy: { steps: [5, 50], intervalMinutes: 3 } });
    expect(sent.name).toBe(NAME);
  });

  it('joins the running execution when a retried job starts the same canary', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: JSON.stringify({ ...REQUEST, strategy: 'AllAtOnce' }) });

    const { code, stdout } = await run([...BASE_ARGS, '--json'], awsWith());

    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ action: 'joined', executionArn: EXECUTION_ARN, status: 'RUNNING' });
    expect(result.warning).toContain('different request');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('reports a finished execution of the same request instead of starting another, with its exit code', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves(finalDescription(EXECUTION_ARN, NAME, 'rolled-back', INPUT));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: history('rolled-back') });

    const { code, stdout } = await run([...BASE_ARGS, '--json'], awsWith());

    expect(code).toBe(3);
    expect(JSON.parse(stdout)).toMatchObject({ action: 'finished-before', outcome: 'rolled-back', reason: 'v13 fails 3.2× as often as v12' });
  });

  it('refuses, exit 1, when the name belongs to a finished execution of a different request', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves(finalDescription(EXECUTION_ARN, NAME, 'promoted', JSON.stringify({ ...REQUEST, strategy: 'AllAtOnce' })));

    const { code, stderr } = await run([...BASE_ARGS], awsWith());

    expect(code).toBe(1);
    expect(stderr).toContain('--execution-name');
  });
});

describe('coalmine start --wait', () => {
  it("prints Plan's warnings on stderr as warning lines, once each, while it follows", async () => {
    const warning = 'cold starts not judged: the function logs in JSON, and Coalmine reads the text REPORT lines';
    const withWarning = (text: string | undefined) => {
      const state = text === undefined ? undefined : (JSON.parse(text) as { plan?: { warnings?: string[] }; Payload?: { plan?: { warnings?: string[] } } });
      const plan = state?.plan ?? state?.Payload?.plan;
      if (plan) plan.warnings = [warning];
      return state === undefined ? text : JSON.stringify(state);
    };
    const events = history('promoted').map((event) => ({
      ...event,
      ...(event.stateExitedEventDetails ? { stateExitedEventDetails: { ...event.stateExitedEventDetails, output: withWarning(event.stateExitedEventDetails.output) } } : {}),
      ...(event.taskSucceededEventDetails ? { taskSucceededEventDetails: { ...event.taskSucceededEventDetails, output: withWarning(event.taskSucceededEventDetails.output) } } : {}),
    }));
    const served = serveGrowingHistory(events);
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });

    const { code, stderr } = await run([...BASE_ARGS, '--wait'], awsWith(() => served.grow()));

    expect(code).toBe(0);
    expect(stderr.split('\n').filter((line) => line.startsWith('warning: '))).toEqual([`warning: ${warning}`]);
  });

  const cases: { ending: Ending; code: number; outcome: string; rollbackKind: string | null; reason: RegExp }[] = [
    { ending: 'promoted', code: 0, outcome: 'promoted', rollbackKind: null, reason: /v13 served 50% as well as v12/ },
    { ending: 'rolled-back', code: 3, outcome: 'rolled-back', rollbackKind: 'regression', reason: /v13 fails 3\.2× as often as v12/ },
    { ending: 'inconclusive', code: 4, outcome: 'rolled-back', rollbackKind: 'inconclusive', reason: /^inconclusive, no regression found/ },
    { ending: 'rejected', code: 3, outcome: 'rolled-back', rollbackKind: 'rejected', reason: /^rejected by bob: p99 looks off$/ },
    { ending: 'bad-input', code: 2, outcome: 'failed', rollbackKind: 'error', reason: /AliasNotFoundError: alias live does not exist/ },
    { ending: 'task-error', code: 1, outcome: 'failed', rollbackKind: 'error', reason: /AliasChangedError/ },
    { ending: 'aborted', code: 1, outcome: 'failed', rollbackKind: null, reason: /stopped .*rolls the alias back/ },
    { ending: 'timed-out', code: 1, outcome: 'failed', rollbackKind: null, reason: /timed out/ },
  ];

  for (const { ending, code, outcome, rollbackKind, reason } of cases) {
    it(`follows the history to the end and exits ${code} when the execution ends ${ending}`, async () => {
      const events = history(ending);
      const served = serveGrowingHistory(events);
      const aws = awsWith(() => served.grow());
      sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
      sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });

      const result = await run([...BASE_ARGS, '--wait', '--json'], aws);

      expect(result.code).toBe(code);
      const json = JSON.parse(result.stdout);
      expect(json.outcome).toBe(outcome);
      expect(json.rollbackKind).toBe(rollbackKind);
      expect(json.reason).toMatch(reason);
      expect(json.consoleUrl).toContain(EXECUTION_ARN);
      // Every decision once, though pages were read again from where the last poll ended.
      const decisions = events.filter((event) => event.type === 'TaskStateExited' && event.stateExitedEventDetails?.name === 'Evaluate the canary').length;
      expect(json.steps).toHaveLength(decisions);
      expect(served.tokens.filter((token) => token === undefined).length).toBe(1);
    });
  }

  it('gives the steps, alias and minutes to decision as run --json does', async () => {
    serveGrowingHistory(history('promoted'), 1000);
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });

    const { stdout } = await run([...BASE_ARGS, '--wait', '--json'], awsWith());

    const json = JSON.parse(stdout);
    expect(json.steps.map((step: { weight: number; decision: string; minute: number }) => [step.weight, step.decision, step.minute])).toEqual([
      [10, 'hold', 5],
      [10, 'advance', 10],
      [50, 'promote', 15],
    ]);
    expect(json.steps[1].reasons).toEqual(['candidate no worse than stable: 0.4% vs 0.5%']);
    expect(json.alias).toEqual({ version: '13', routing: {} });
    expect(json.minutesToDecision).toBe(15);
  });

  it('prints plain lines without a terminal: the plan, each look, the checks and the step trail at each decision, the ending', async () => {
    const served = serveGrowingHistory(history('rolled-back'));
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });

    const { code, stdout, stderr } = await run([...BASE_ARGS, '--wait'], awsWith(() => served.grow()));

    expect(code).toBe(3);
    expect(stderr).toContain('plan: checkout-api:live from version 12 to 13, 10% → 50% → 100%, 5 min a step');
    // A look whose state carries no checks keeps its figures.
    expect(stderr).toContain('+10m advance at 10%: candidate no worse than stable: 0.4% vs 0.5% (candidateRequests=240, candidateErrors=1, stableErrorRate=0.005)');
    expect(stderr).toContain('+15m rollback at 50%: candidate fails 1.4–∞× as often as stable, 99% sure: roll back\n');
    expect(stderr).toContain('    ✗ errors      candidate fails 1.4–∞× as often as stable, 99% sure: roll back\n    ✓ latency     no difference yet: ratio between 0.5× and 2×\n');
    expect(stderr).toContain('    10% ✓ → 50% ✗ → 100%\n');
    expect(stderr).not.toContain('\x1b[');
    expect(stdout).toContain('Rolled back: v13 fails 3.2× as often as v12.');
    expect(stdout).toContain('Alias live is on version 12.');
    expect(stdout).toContain('console: https://eu-west-1.console.aws.amazon.com/');
  });

  it('says "Rolled back (inconclusive)" for a canary that could not decide, not "Rolled back", and exits 4', async () => {
    const served = serveGrowingHistory(history('inconclusive'));
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });

    const { code, stdout } = await run([...BASE_ARGS, '--wait'], awsWith(() => served.grow()));

    expect(code).toBe(4);
    expect(stdout).toContain('Rolled back (inconclusive): inconclusive, no regression found: not enough traffic to judge');
    expect(stdout).toContain('Alias live is on version 12.');
  });

  it('redraws the plan, the step trail, past decisions and the latest look in place on a terminal', async () => {
    const served = serveGrowingHistory(history('promoted'));
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });

    const { code, stderr } = await run([...BASE_ARGS, '--wait'], awsWith(() => served.grow()), { tty: true });

    expect(code).toBe(0);
    expect(stderr).toMatch(/\x1b\[\d+A\r\x1b\[0J/);
    expect(stderr).toContain('step 2/2 · candidate 50%');
    const lastDraw = stderr.split('\x1b[0J').at(-1)!;
    expect(lastDraw).toContain('plan: checkout-api:live from version 12 to 13');
    expect(lastDraw).toMatch(/10% .*✓.* → 50% .*✓.* → 100% .*✓/);
    // The earlier decision stays on screen beside the latest one.
    expect(lastDraw).toMatch(/\+10m advance at 10%: candidate no worse than stable: 0\.4% vs 0\.5%/);
    expect(lastDraw).toMatch(/\+15m .*promote.* at 50%: candidate no worse than stable at 50%/);
  });

  it('backs off while nothing happens, and starts again quickly when something does', async () => {
    const events = history('promoted');
    let polls = 0;
    sfn.on(GetExecutionHistoryCommand).callsFake(() => {
      polls += 1;
      // Nothing new for five polls (a long Bake), then a decision, then the rest.
      return { events: polls < 7 ? events.slice(0, 12) : polls === 7 ? events.slice(0, 20) : events };
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });
    const aws = awsWith();

    await run([...BASE_ARGS, '--wait', '--json'], aws);

    expect(aws.sleeps).toEqual([2000, 4000, 8000, 16000, 30000, 30000, 2000]);
  });

  it('gives up with exit 1 and a clear line when Step Functions keeps failing, instead of looping', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });
    sfn.on(GetExecutionHistoryCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const aws = awsWith();

    const { code, stderr } = await run([...BASE_ARGS, '--wait'], aws);

    expect(code).toBe(1);
    expect(stderr).toMatch(/coalmine: lost connection to Step Functions after 6 failed polls/);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(6);
  });

  it('stops at once with exit 1, naming the permission, when reading the history is denied', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });
    sfn.on(GetExecutionHistoryCommand).rejects(Object.assign(new Error('User is not authorized to perform: states:GetExecutionHistory'), { name: 'AccessDeniedException' }));

    const { code, stderr } = await run([...BASE_ARGS, '--wait'], awsWith());

    expect(code).toBe(1);
    expect(stderr).toContain('grant states:GetExecutionHistory');
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(1);
  });

  it('stops following after --wait-minutes, exit 1, leaving the execution running', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START), input: INPUT });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: history('promoted').slice(0, 12) });

    const { code, stderr } = await run([...BASE_ARGS, '--wait', '--wait-minutes', '2'], awsWith());

    expect(code).toBe(1);
    expect(stderr).toContain('stopped waiting');
  });
});
