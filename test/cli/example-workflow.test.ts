/**
 * examples/github-actions.yml must keep working with the command as it is: its `coalmine start`
 * line is parsed by the real `main` and run against a mocked Step Functions.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { yamlParse } from 'yaml-cfn';
import { describe, expect, it } from 'vitest';
import { StackOutputs } from '../../src/aws/cloudformation.ts';
import { executionArnFor, StepFunctionsExecutions } from '../../src/aws/stepfunctions.ts';
import { executionNameFor } from '../../src/core/execution-name.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { history, START, STATE_MACHINE_ARN } from './sfn-history.ts';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}

const workflow = yamlParse(readFileSync(new URL('../../examples/github-actions.yml', import.meta.url), 'utf8')) as {
  permissions: Record<string, string>;
  jobs: { canary: { 'timeout-minutes': number; steps: Step[] } };
};
const steps = workflow.jobs.canary.steps;

/** A step's shell command as argv: continuation lines joined, `"$VAR"` replaced by `values`. */
function argv(script: string, values: Record<string, string>): string[] {
  return script
    .replace(/\\\n/g, ' ')
    .trim()
    .split(/\s+/)
    .map((word) => word.replace(/^"\$([A-Z_]+)"$/, (_, name: string) => values[name] ?? `<${name} unset>`));
}

describe('examples/github-actions.yml', () => {
  it('gets AWS credentials through OIDC, not stored keys', () => {
    expect(workflow.permissions['id-token']).toBe('write');
    const credentials = steps.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials'));
    expect(credentials?.with?.['role-to-assume']).toBeDefined();
    expect(JSON.stringify(workflow)).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/);
  });

  it('publishes a version and hands its number to coalmine start --wait', () => {
    const publish = steps.find((step) => step.run?.includes('aws lambda publish-version'));
    const canary = steps.find((step) => step.run?.includes('npx coalmine start'));

    expect(publish).toBeDefined();
    expect(canary?.env?.VERSION).toBe('${{ steps.publish.outputs.version }}');
    expect(canary?.run).toContain('--wait');
  });

  it('gives the job time to follow the canary for --wait-minutes, and a little more', () => {
    const canary = steps.find((step) => step.run?.includes('npx coalmine start') && step.run.includes('--wait '))!;
    const waitMinutes = Number(/--wait-minutes (\d+)/.exec(canary.run!)?.[1]);

    expect(waitMinutes).toBeGreaterThan(0);
    expect(workflow.jobs.canary['timeout-minutes']).toBeGreaterThanOrEqual(waitMinutes + 10);
    expect(workflow.jobs.canary['timeout-minutes']).toBeLessThanOrEqual(waitMinutes + 30);
  });

  it('installs the coalmine package before it runs npx coalmine', () => {
    const install = steps.findIndex((step) => /npm install .*coalmine@/.test(step.run ?? ''));
    const first = steps.findIndex((step) => step.run?.includes('npx coalmine'));

    expect(install).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(first);
  });

  it('writes the plan, the steps and the check that decided to the step summary, whatever the outcome', async () => {
    const read = steps.find((step) => step.run?.includes('--json > coalmine-outcome.json'))!;
    const summary = steps.find((step) => step.run?.includes('GITHUB_STEP_SUMMARY'))!;
    expect(read.if).toContain('always()');
    expect(summary.if).toContain('always()');

    // The outcome as the "read" step's command prints it, from a canary that was promoted.
    const sfn = mockClient(SFNClient);
    const cloudformation = mockClient(CloudFormationClient);
    const name = executionNameFor('checkout-api', 'live', '13');
    const executionArn = executionArnFor(STATE_MACHINE_ARN, name);
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'coalmine', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: STATE_MACHINE_ARN }] }],
    });
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, name, stateMachineArn: STATE_MACHINE_ARN, status: 'SUCCEEDED', startDate: new Date(START), input: JSON.stringify({ functionName: 'checkout-api', alias: 'live', candidateVersion: '13' }) });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: history('promoted') });
    const [, command, ...args] = argv(read.run!.replace('--json > coalmine-outcome.json || true', '--json'), { COALMINE_STACK: 'coalmine', FUNCTION_NAME: 'checkout-api', VERSION: '13' });
    const io = bufferIo();
    await main(['node', command!, ...args], io, {
      aws: () => ({
        executions: new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })),
        stackOutputs: new StackOutputs(new CloudFormationClient({ region: 'eu-west-1' })),
        sleep: async () => {},
      }),
    });
    sfn.restore();
    cloudformation.restore();
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-summary-'));
    writeFileSync(join(dir, 'coalmine-outcome.json'), io.stdout.text);
    writeFileSync(join(dir, 'summary.md'), '');

    try {
      execFileSync('bash', ['-e', '-c', summary.run!], { cwd: dir, env: { ...process.env, GITHUB_STEP_SUMMARY: join(dir, 'summary.md') } });
      const markdown = readFileSync(join(dir, 'summary.md'), 'utf8');

      expect(JSON.parse(io.stdout.text)).toMatchObject({ outcome: 'promoted', plan: { stableVersion: '12', candidateVersion: '13' } });
      expect(markdown).toContain('## Coalmine canary: checkout-api:live → version 13');
      expect(markdown).toContain('**promoted**');
      expect(markdown).toContain('Plan: version 12 → 13, Canary10Percent5Minutes');
      expect(markdown).toMatch(/\| \d+ \| 10% \| /);
      expect(markdown).toMatch(/Decided by: \S/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("runs, as written, through coalmine's own parser, and exits 0 when the canary is promoted", async () => {
    const sfn = mockClient(SFNClient);
    const cloudformation = mockClient(CloudFormationClient);
    const name = executionNameFor('checkout-api', 'live', '13');
    const executionArn = executionArnFor(STATE_MACHINE_ARN, name);
    cloudformation.on(DescribeStacksCommand, { StackName: 'coalmine' }).resolves({
      Stacks: [{ StackName: 'coalmine', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: STATE_MACHINE_ARN }] }],
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date(START) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn, name, stateMachineArn: STATE_MACHINE_ARN, status: 'RUNNING', startDate: new Date(START) });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: history('promoted') });
    const script = steps.find((step) => step.run?.includes('npx coalmine start'))!.run!;
    const [npx, command, ...args] = argv(script, { COALMINE_STACK: 'coalmine', FUNCTION_NAME: 'checkout-api', VERSION: '13' });
    const io = bufferIo();

    const code = await main(['node', command!, ...args], io, {
      aws: () => ({
        executions: new StepFunctionsExecutions(new SFNClient({ region: 'eu-west-1' })),
        stackOutputs: new StackOutputs(new CloudFormationClient({ region: 'eu-west-1' })),
        sleep: async () => {},
      }),
    });

    expect([npx, command, args[0]]).toEqual(['npx', 'coalmine', 'start']);
    expect(io.stderr.text).not.toContain('coalmine:');
    expect(code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.name).toBe(name);
    sfn.restore();
    cloudformation.restore();
  });
});
