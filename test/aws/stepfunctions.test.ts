import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AccessDeniedError, ExecutionNotFoundError, ThrottledError, TransientServiceError } from '../../src/core/errors.ts';
import { consoleUrlFor, executionArnFor, mapError, StepFunctionsExecutions } from '../../src/aws/stepfunctions.ts';

const sfn = mockClient(SFNClient);
const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Coalmine';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:Coalmine:run-1';

beforeEach(() => sfn.reset());

describe('StepFunctionsExecutions', () => {
  it('reads every page of the history, oldest first, and says where to resume', async () => {
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: EXECUTION, nextToken: undefined })
      .resolves({ events: [{ id: 1, type: 'ExecutionStarted', timestamp: new Date(0) }], nextToken: 'page-2' })
      .on(GetExecutionHistoryCommand, { executionArn: EXECUTION, nextToken: 'page-2' })
      .resolves({ events: [{ id: 2, type: 'TaskStateEntered', timestamp: new Date(1000), stateEnteredEventDetails: { name: 'Plan the canary' } }] });
    const executions = new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' }));

    const page = await executions.history(EXECUTION);

    expect(page.entries.map((entry) => [entry.id, entry.type, entry.state])).toEqual([
      [1, 'ExecutionStarted', undefined],
      [2, 'TaskStateEntered', 'Plan the canary'],
    ]);
    expect(page.resumeToken).toBe('page-2');
    for (const call of sfn.commandCalls(GetExecutionHistoryCommand)) expect(call.args[0].input).toMatchObject({ reverseOrder: false, includeExecutionData: true });
  });

  it('starts over from the first page when the resume token has expired', async () => {
    sfn
      .on(GetExecutionHistoryCommand, { nextToken: 'stale' })
      .rejects(Object.assign(new Error('Invalid Token'), { name: 'InvalidToken' }))
      .on(GetExecutionHistoryCommand, { nextToken: undefined })
      .resolves({ events: [{ id: 1, type: 'ExecutionStarted', timestamp: new Date(0) }] });
    const executions = new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' }));

    const page = await executions.history(EXECUTION, 'stale');

    expect(page.entries).toHaveLength(1);
  });

  it('lists up to the limit across pages', async () => {
    const item = (index: number) => ({ executionArn: `${EXECUTION}-${index}`, name: `run-${index}`, stateMachineArn: SM, status: 'SUCCEEDED' as const, startDate: new Date(index) });
    sfn
      .on(ListExecutionsCommand, { nextToken: undefined })
      .resolves({ executions: [item(1), item(2)], nextToken: 'next' })
      .on(ListExecutionsCommand, { nextToken: 'next' })
      .resolves({ executions: [item(3), item(4)], nextToken: 'more' });
    const executions = new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' }));

    const listed = await executions.list(SM, 3);

    expect(listed.map((execution) => execution.name)).toEqual(['run-1', 'run-2', 'run-3']);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(2);
  });
});

describe('mapError', () => {
  it.each([
    ['ExecutionDoesNotExist', ExecutionNotFoundError],
    ['AccessDeniedException', AccessDeniedError],
    ['ExpiredTokenException', AccessDeniedError],
    ['ThrottlingException', ThrottledError],
    ['ServiceUnavailable', TransientServiceError],
  ])('maps %s to a named error that keeps the original', (name, type) => {
    const original = Object.assign(new Error('boom'), { name });

    const mapped = mapError(original, 'describe x');

    expect(mapped).toBeInstanceOf(type);
    expect(mapped.message).toBe(`could not describe x: ${name}: boom`);
    expect(mapped.cause).toBe(original);
  });

  it('treats a refused connection as transient', () => {
    expect(mapError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'x')).toBeInstanceOf(TransientServiceError);
  });
});

describe('ARNs and links', () => {
  it('derives the execution ARN from the state machine ARN and the name', () => {
    expect(executionArnFor(SM, 'run-1')).toBe(EXECUTION);
  });

  it("links to the execution's page in the console of its region", () => {
    expect(consoleUrlFor(EXECUTION)).toBe(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION}`);
  });
});
