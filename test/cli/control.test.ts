/**
 * `coalmine approve|reject|promote|pause|resume` on AWS mocks: the task token read from the wait's
 * TaskScheduled event and answered with SendTaskSuccess or SendTaskFailure; the control written into
 * the alias' owner mark with UpdateAlias and the alias' RevisionId; exit 2 with one named line when
 * the execution cannot take it.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetAliasCommand, LambdaClient, PreconditionFailedException, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StackOutputs } from '../../src/aws/cloudformation.ts';
import { lambdaTrafficRouter } from '../../src/aws/lambda.ts';
import { executionArnFor, StepFunctionsExecutions } from '../../src/aws/stepfunctions.ts';
import type { AwsDeps } from '../../src/cli/aws-context.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { ownerMark } from '../../src/core/ownership.ts';
import { START, STATE_MACHINE_ARN } from './sfn-history.ts';

const sfn = mockClient(SFNClient);
const lambda = mockClient(LambdaClient);

const NAME = 'checkout-api-live-v13';
const EXECUTION_ARN = executionArnFor(STATE_MACHINE_ARN, NAME);
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAe1Ytoken';
const ORIGINAL = 'checkout production alias';
const MARK = ownerMark({ executionArn: EXECUTION_ARN, owner: NAME, stable: '12', candidate: '13', original: ORIGINAL });

const plan = { functionName: 'checkout-api', alias: 'live', stableVersion: '12', candidateVersion: '13' };
let planRegion: string | undefined;
const stateAt = (decision: string, status: string) => JSON.stringify({ status, plan: { ...plan, ...(planRegion ? { region: planRegion } : {}) }, progress: { stepIndex: 1, weight: 50, decision, revisionId: 'r1', evaluations: 9 } });

/** The newest events of an execution, newest first, as GetExecutionHistory with reverseOrder returns them. */
function newestFirst(ending: 'waiting' | 'judging' | 'answered'): HistoryEvent[] {
  const at = (id: number) => new Date(START + id * 1000);
  const evaluated = stateAt(ending === 'judging' ? 'advance' : 'await-approval', ending === 'judging' ? 'Step 1 of 2 (10%): advance — no harm found' : 'Step 2 of 2 (50%): await-approval — awaiting approval');
  const events: HistoryEvent[] = [
    { id: 1, timestamp: at(1), type: 'TaskStateExited', stateExitedEventDetails: { name: 'Evaluate the canary', output: evaluated } },
    { id: 2, timestamp: at(2), type: 'ChoiceStateEntered', stateEnteredEventDetails: { name: 'Decide', input: evaluated } },
    { id: 3, timestamp: at(3), type: 'ChoiceStateExited', stateExitedEventDetails: { name: 'Decide', output: evaluated } },
  ];
  if (ending !== 'judging') {
    const parameters = JSON.stringify({ Entries: [{ EventBusName: 'default', Source: 'coalmine', DetailType: 'Canary Awaiting Approval', Detail: { taskToken: TOKEN, execution: EXECUTION_ARN } }] });
    events.push(
      { id: 4, timestamp: at(4), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Wait for approval', input: evaluated } },
      { id: 5, timestamp: at(5), type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'events', resource: 'putEvents.waitForTaskToken', region: 'eu-west-1', parameters, timeoutInSeconds: 60 } },
      { id: 6, timestamp: at(6), type: 'TaskStarted', taskStartedEventDetails: { resourceType: 'events', resource: 'putEvents.waitForTaskToken' } },
      { id: 7, timestamp: at(7), type: 'TaskSubmitted', taskSubmittedEventDetails: { resourceType: 'events', resource: 'putEvents.waitForTaskToken', output: '{}' } },
    );
  }
  if (ending === 'answered') events.push({ id: 8, timestamp: at(8), type: 'TaskTimedOut', taskTimedOutEventDetails: { resourceType: 'events', resource: 'putEvents.waitForTaskToken', error: 'States.Timeout' } });
  return events.reverse();
}

const regionsAsked: string[] = [];

function awsDeps(): AwsDeps {
  return {
    routerIn: (region) => {
      regionsAsked.push(region);
      return lambdaTrafficRouter(new LambdaClient({ region }));
    },
    executions: new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })),
    stackOutputs: new StackOutputs(new CloudFormationClient({ region: 'eu-west-1' })),
    router: lambdaTrafficRouter(new LambdaClient({ region: 'eu-west-1' })),
    sleep: async () => {},
  };
}

async function run(...args: string[]) {
  const io = bufferIo({ tty: false, env: { COALMINE_STATE_MACHINE_ARN: STATE_MACHINE_ARN } });
  const code = await main(['node', 'coalmine', ...args], io, { aws: () => awsDeps() });
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

function running(status = 'RUNNING') {
  sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, name: NAME, stateMachineArn: STATE_MACHINE_ARN, status: status as 'RUNNING', startDate: new Date(START) });
}

function alias(description: string, revisionId = 'rev-1') {
  lambda.on(GetAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RoutingConfig: { AdditionalVersionWeights: { '13': 0.5 } }, Description: description, RevisionId: revisionId });
}

beforeEach(() => {
  sfn.reset();
  lambda.reset();
  regionsAsked.length = 0;
});

describe('coalmine approve and reject', () => {
  it('approve answers the open wait with its task token, saying who approved', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('waiting') });
    sfn.on(SendTaskSuccessCommand).resolves({});

    const { code, stdout } = await run('approve', NAME, '--by', 'alice', '--comment', 'checked the dashboards');

    expect(code).toBe(0);
    expect(stdout).toBe(`${NAME} approved: it promotes now; follow it with: coalmine status ${NAME}\n`);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]!.args[0].input).toMatchObject({ executionArn: EXECUTION_ARN, reverseOrder: true, includeExecutionData: true });
    expect(sfn.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input)).toEqual([{ taskToken: TOKEN, output: JSON.stringify({ by: 'alice', comment: 'checked the dashboards' }) }]);
  });

  it('reject fails the wait with CanaryRejected and says who rejected it and why', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('waiting') });
    sfn.on(SendTaskFailureCommand).resolves({});

    const { code, stdout } = await run('reject', EXECUTION_ARN, '--by', 'bob', '--comment', 'p99 looks off', '--json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ command: 'reject', executionArn: EXECUTION_ARN, via: 'task-token' });
    expect(sfn.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input)).toEqual([{ taskToken: TOKEN, error: 'CanaryRejected', cause: 'rejected by bob: p99 looks off' }]);
  });

  it('exits 2 with one named line when the execution is not waiting for approval', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('judging') });

    const { code, stderr, stdout } = await run('approve', NAME);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`coalmine: ${NAME} is not waiting for approval (now: Step 1 of 2 (10%): advance — no harm found); approve answers a canary that waits at its final step with approval "before-promote"\n`);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toEqual([]);
  });

  it('exits 2 when the execution has ended, with --json naming the error', async () => {
    running('SUCCEEDED');

    const { code, stdout } = await run('reject', NAME, '--json');

    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({ outcome: 'failed', error: 'ExecutionNotWaitingError', reason: `${NAME} has ended (SUCCEEDED); there is nothing to reject` });
  });

  it('tries the next token when the wait it found ran out just as it answered', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolvesOnce({ events: newestFirst('waiting') }).resolves({ events: newestFirst('waiting') });
    sfn.on(SendTaskSuccessCommand).rejectsOnce(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })).resolves({});

    const { code } = await run('approve', NAME, '--by', 'alice');

    expect(code).toBe(0);
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(2);
  });

  it('waits for the next wait when the last look has just decided to wait again', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolvesOnce({ events: newestFirst('answered') }).resolves({ events: newestFirst('waiting') });
    sfn.on(SendTaskSuccessCommand).resolves({});

    const { code } = await run('approve', NAME, '--by', 'alice');

    expect(code).toBe(0);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(2);
  });
});

describe('coalmine pause, resume and promote', () => {
  it('pause writes the control into the alias mark, with the alias revision, keeping the original description', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('judging') });
    alias(MARK, 'rev-7');
    lambda.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'rev-8' });

    const { code, stdout } = await run('pause', NAME);

    expect(code).toBe(0);
    expect(stdout).toBe(`${NAME} pauses at its next look: the weights hold (a regression still rolls back) until coalmine resume\n`);
    const update = lambda.commandCalls(UpdateAliasCommand).map((call) => call.args[0].input);
    expect(update).toEqual([{ FunctionName: 'checkout-api', Name: 'live', RevisionId: 'rev-7', Description: MARK.replace(' | ', ' control=pause | ') }]);
    expect(update[0]!.RoutingConfig).toBeUndefined();
  });

  it('resume takes the control out again; resuming a canary that is not paused exits 2', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('judging') });
    alias(MARK.replace(' | ', ' control=pause | '));
    lambda.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'rev-2' });

    expect((await run('resume', NAME)).code).toBe(0);
    expect(lambda.commandCalls(UpdateAliasCommand)[0]!.args[0].input.Description).toBe(MARK);

    lambda.reset();
    alias(MARK);
    const again = await run('resume', NAME);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`coalmine: ${NAME} is not paused; there is nothing to resume\n`);
  });

  it('promote writes its control, retrying when the canary moved the alias in between', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('judging') });
    alias(MARK);
    lambda
      .on(UpdateAliasCommand)
      .rejectsOnce(new PreconditionFailedException({ message: 'The RevisionId provided does not match the latest RevisionId for the Lambda function or alias.', $metadata: {} }))
      .resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'rev-3' });

    const { code } = await run('promote', NAME);

    expect(code).toBe(0);
    expect(lambda.commandCalls(UpdateAliasCommand).map((call) => call.args[0].input.Description)).toEqual([expect.stringContaining(' control=promote | '), expect.stringContaining(' control=promote | ')]);
  });

  it('promote answers a canary that waits for approval with its token', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('waiting') });
    sfn.on(SendTaskSuccessCommand).resolves({});

    const { code } = await run('promote', NAME, '--by', 'carol');

    expect(code).toBe(0);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output).toBe(JSON.stringify({ by: 'carol (coalmine promote)' }));
    expect(lambda.commandCalls(UpdateAliasCommand)).toEqual([]);
  });

  it('exits 2 and changes nothing when the alias is not held by this execution', async () => {
    running();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('judging') });
    alias(ORIGINAL);

    const { code, stderr } = await run('pause', NAME);

    expect(code).toBe(2);
    expect(stderr).toBe(`coalmine: alias checkout-api:live is not held by ${NAME} (it has let go of it, or not taken it yet); there is nothing to pause\n`);
    expect(lambda.commandCalls(UpdateAliasCommand)).toEqual([]);
  });

  it('writes the control in the function’s region when the plan names another one', async () => {
    planRegion = 'us-east-1';
    try {
      running();
      sfn.on(GetExecutionHistoryCommand).resolves({ events: newestFirst('judging') });
      alias(MARK);
      lambda.on(UpdateAliasCommand).resolves({ Name: 'live', FunctionVersion: '12', RevisionId: 'rev-2' });

      expect((await run('pause', NAME)).code).toBe(0);
      expect(regionsAsked).toEqual(['us-east-1']);
    } finally {
      planRegion = undefined;
    }
  });
});
