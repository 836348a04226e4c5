import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { awsDeps, type AwsDeps } from '../../src/cli/aws-context.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import type { WatchResult } from '../../src/core/watch.ts';

const lambda = mockClient(LambdaClient);
const cloudwatch = mockClient(CloudWatchClient);

const START = Date.parse('2026-03-02T10:00:20Z');
const at = (minute: number) => START - 20_000 + minute * 60_000;

/** The AWS side, with a clock that moves only when the watch sleeps. */
function awsWith(): AwsDeps {
  let now = START;
  return {
    ...awsDeps({ region: 'eu-west-1' }),
    sleep: async (ms) => {
      now += ms;
    },
    now: () => now,
  };
}

/**
 * CodeDeploy's Linear10PercentEvery3Minutes as GetAlias shows it: version 12 alone until 10:02, then
 * 10% more on version 13 every 3 minutes, promoted at 10:29. `now` is the watch's clock.
 */
function serveAlias(aws: AwsDeps, candidateErrorsPerMinute: number) {
  lambda.on(GetAliasCommand).callsFake(() => {
    const minute = Math.floor((aws.now!() - at(0)) / 60_000);
    const base = { Name: 'live', AliasArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live', Description: '', RevisionId: `r${minute}` };
    if (minute < 2) return { ...base, FunctionVersion: '12' };
    if (minute >= 29) return { ...base, FunctionVersion: '13' };
    const weight = 0.1 * (1 + Math.floor((minute - 2) / 3));
    return { ...base, FunctionVersion: '12', RoutingConfig: { AdditionalVersionWeights: { '13': Number(weight.toFixed(2)) } } };
  });
  // Every series every minute (or hour): stable 540 requests and 3 errors a minute; the candidate 60 and as many errors as asked, half of each over its median.
  const value = (id: string): number => {
    if (id === 'h_inv') return 36_000;
    if (id === 'h_err') return 180;
    if (id === 'b_inv' || id === 's_inv') return 540;
    if (id === 'c_inv') return 60;
    if (id === 'b_err' || id === 's_err') return 3;
    if (id === 'c_err') return candidateErrorsPerMinute;
    if (id.endsWith('_thr') || id.endsWith('_slow')) return 0;
    if (id === 's_med') return 270;
    if (id === 'c_med') return 30;
    if (id.endsWith('_p99') || id === 'b_lat') return 400;
    return 80;
  };
  cloudwatch.on(GetMetricDataCommand).callsFake((input: { StartTime: Date; EndTime: Date; MetricDataQueries: MetricDataQuery[] }) => ({
    MetricDataResults: input.MetricDataQueries.map((query) => {
      const period = (query.MetricStat?.Period ?? 60) * 1000;
      const stamps: Date[] = [];
      for (let t = input.StartTime.getTime(); t < input.EndTime.getTime(); t += period) stamps.push(new Date(t));
      return { Id: query.Id, StatusCode: 'Complete', Timestamps: stamps, Values: stamps.map(() => value(query.Id!)) };
    }),
  }));
}

async function run(args: string[], aws: AwsDeps = awsWith()) {
  const io = bufferIo();
  const code = await main(['node', 'coalmine', 'watch', ...args], io, { aws: () => aws });
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}

beforeEach(() => {
  lambda.reset();
  cloudwatch.reset();
});

describe('coalmine watch on AWS', () => {
  it('reads the alias with GetAlias and the minutes with GetMetricData, and never calls UpdateAlias', async () => {
    const aws = awsWith();
    serveAlias(aws, 0);

    const { code, stdout } = await run(['--function', 'checkout', '--alias', 'live', '--region', 'eu-west-1', '--json'], aws);

    expect(code).toBe(0);
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
    expect(lambda.calls().every((call) => call.args[0] instanceof GetAliasCommand)).toBe(true);
    expect(cloudwatch.calls().every((call) => call.args[0] instanceof GetMetricDataCommand)).toBe(true);
    expect(lambda.commandCalls(GetAliasCommand).length).toBeGreaterThan(25);
    const result = JSON.parse(stdout) as WatchResult;
    expect(result).toMatchObject({ stableVersion: '12', candidateVersion: '13', splitBeforeWatch: false, other: { action: 'promoted', minute: 27 } });
    expect(result.looks[0]).toMatchObject({ weight: 10, verdict: 'would hold' });
    expect(result.coalmine).toMatchObject({ decision: 'promote', verdict: 'would promote' });
    expect(result.summary).toMatch(/; the other tool promoted version 13 at \+27m \(10:29 UTC\)\.$/);
  });

  it('exits 0 when Coalmine would have rolled back: it only observes', async () => {
    const aws = awsWith();
    serveAlias(aws, 6);

    const { code, stdout } = await run(['--function', 'checkout', '--alias', 'live'], aws);

    expect(code).toBe(0);
    expect(stdout).toMatch(/would roll back \(regression\) at 10%: candidate fails/);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^Coalmine would have rolled back \(regression\) at \+\d+m \(10:\d\d UTC\); the other tool promoted version 13 at \+27m/);
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });
});

describe('coalmine watch with bad input', () => {
  it.each([
    [['--alias', 'live'], /^coalmine: --function: required/],
    [['--function', 'checkout'], /^coalmine: --alias: required/],
    [['--function', 'checkout', '--alias', 'live', '--max-minutes', 'soon'], /^coalmine: --max-minutes: must be a whole number/],
    [['--function', 'checkout', '--alias', 'live', '--wait-for-split-minutes', '-1'], /^coalmine: --wait-for-split-minutes: must be a whole number/],
    [['--function', 'checkout', '--alias', 'live', '--region', 'Mars'], /^coalmine: --region: /],
    [['--function', 'checkout', '--alias', 'live', '--scenario', 'healthy'], /^coalmine: --scenario: only with --local/],
  ])('%j is refused in one line naming the flag, exit 2, before anything is read', async (args, line) => {
    const { code, stderr } = await run(args);

    expect(code).toBe(2);
    expect(stderr).toMatch(line);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(lambda.calls()).toHaveLength(0);
    expect(cloudwatch.calls()).toHaveLength(0);
  });

  it('names an unknown scenario with --local', async () => {
    const { code, stderr } = await run(['--local', '--scenario', 'no-such-scenario']);

    expect(code).toBe(2);
    expect(stderr).toMatch(/scenario: no-such-scenario not found/);
  });
});

describe('coalmine watch --local', () => {
  it('prints each look and ends with the line that compares Coalmine with the simulated tool, exit 0', async () => {
    const { code, stdout } = await run(['--local', '--scenario', 'error-10x']);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^coalmine watch · checkout:live · simulated: scenario error-10x, seed 1/);
    expect(stdout).toMatch(/\n\+\d+m would roll back \(regression\) at \d+%: .*\n {4}✗ errors /);
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^Coalmine would have rolled back \(regression\) at \+\d+m \(09:\d\d UTC\); the simulated tool \(Linear10PercentEvery3Minutes\) promoted version 13 at \+27m \(09:29 UTC\)\.$/);
  });
});
