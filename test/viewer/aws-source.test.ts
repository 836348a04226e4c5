import { Readable, Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { StackOutputs } from '../../src/aws/cloudformation.ts';
import { consoleCommand } from '../../src/cli/console.ts';
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
