import { describe, expect, it } from 'vitest';
import { assess, judgeChecks } from '../../../src/core/judge/index.ts';
import { costPerMillion, medianThresholds } from '../../../src/core/judge/cost.ts';
import { analysisSchema, type AnalysisRequest } from '../../../src/core/judge/settings.ts';
import type { Assessment, JudgeInput, JudgeMemory } from '../../../src/core/judge/types.ts';
import type { Baseline, MinuteObservation, VersionMinute } from '../../../src/core/ports.ts';
import { Random } from '../../../src/sim/random.ts';

const BASELINE: Baseline = { minutes: 15, invocations: 9000, errors: 45, latencyThresholdMs: 400, medianMs: 80 };
const MEMORY = { stable: 512, candidate: 512 };

/** One version's minute: `overShare` of its requests over its median threshold, at a mean duration. */
function version(rng: Random, invocations: number, overShare: number | undefined, averageMs: number): VersionMinute {
  return {
    invocations,
    errors: 0,
    throttles: 0,
    slow: Math.round(invocations * 0.01),
    averageMs,
    ...(overShare === undefined ? {} : { overMedian: rng.binomial(invocations, overShare) }),
  };
}

function input(minutes: MinuteObservation[], memory: JudgeMemory | undefined, settings: AnalysisRequest = {}, baseline: Baseline = BASELINE): JudgeInput {
  return {
    memory,
    window: { minutes, failures: [] },
    baseline,
    context: { trigger: 'api', stepIndex: 0, stepCount: 3, weight: 10, isFinalStep: false, minutesInStep: 1, memoryMB: MEMORY },
    settings: analysisSchema.parse(settings),
  };
}

/** Looks once a minute for `times` minutes at 150 requests a minute, `candidateRequests` of them to the candidate. */
function run(times: number, candidate: { over: number | undefined; averageMs: number }, settings: AnalysisRequest = {}, seed = 1, candidateRequests = 15): Assessment {
  const rng = new Random(seed);
  let memory: JudgeMemory | undefined;
  let last!: Assessment;
  for (let i = 0; i < times; i++) {
    const observation: MinuteObservation = {
      minute: new Date(Date.UTC(2026, 0, 1, 12, i)).toISOString(),
      candidate: version(rng, candidateRequests, candidate.over, candidate.averageMs),
      stable: version(rng, 150 - candidateRequests, 0.5, 100),
    };
    last = assess(input([observation], memory, settings));
    memory = JSON.parse(JSON.stringify(last.memory)) as JudgeMemory;
  }
  return last;
}

const costVerdict = (assessment: Assessment) => assessment.checks!.find((check) => check.name === 'cost')!;

describe('the cost check', () => {
  it('rolls back a candidate whose typical request is over the tolerated median, and says what it costs', () => {
    // Median ×2 with the same p99: about 94% of its requests are over 1.25× stable's median (mean 173 ms against 100 ms).
    const result = run(10, { over: 0.94, averageMs: 173 });
    expect(result.phase).toBe('fail');
    const verdict = costVerdict(result);
    expect(verdict.phase).toBe('fail');
    expect(verdict.summary).toMatch(/^\+59% cost per request: 1\.03 → 1\.64 \$ per million; median over 1\.25× stable's: roll back$/);
    expect(verdict.figures['candidateCost']).toBeCloseTo(1.6417, 3);
  });

  it('lets a candidate within the tolerance pass, however long it runs', () => {
    // Median 1.2× stable's (σ 0.69): 48% of its requests over 1.25× stable's median, under stable's 50%.
    for (const seed of [1, 2, 3]) {
      const result = run(60, { over: 0.48, averageMs: 120 }, {}, seed, 75);
      expect(costVerdict(result).phase).toBe('pass');
    }
  });

  it('holds the step while the median leans over the tolerance, short of a verdict', () => {
    // Two minutes of a much slower candidate: too few requests for a verdict, enough to lean.
    const verdict = costVerdict(run(2, { over: 0.94, averageMs: 173 }));

    expect(verdict.phase).toBe('inconclusive');
    expect(verdict.summary).toMatch(/median leans over 1\.25× stable's, short of a verdict; holding this weight until that settles$/);
  });

  it("follows the tolerance setting: a median 1.5× stable's rolls back at tolerance 1 and passes at 2", () => {
    // σ 0.69: 72% of its requests are over stable's median, 34% over twice it.
    expect(costVerdict(run(30, { over: 0.72, averageMs: 150 }, { costTolerance: 1 }, 1, 75)).phase).toBe('fail');
    expect(costVerdict(run(30, { over: 0.34, averageMs: 150 }, { costTolerance: 2 }, 1, 75)).phase).toBe('pass');
  });

  it('says a cheaper candidate is cheaper, and passes it', () => {
    const verdict = costVerdict(run(20, { over: 0.05, averageMs: 50 }));
    expect(verdict.phase).toBe('pass');
    expect(verdict.summary).toMatch(/^-40% cost per request: 1\.03 → 0\.62 \$ per million; median not shown over 1\.25× stable's$/);
  });

  it('leaves out minutes without a count over the median, and the look is held by the data check', () => {
    const result = run(3, { over: undefined, averageMs: 100 });
    expect(costVerdict(result).phase).toBe('pass');
    expect(result.phase).not.toBe('fail');
  });

  it('does not judge cost without a pre-shift median, nor for queue-triggered functions', () => {
    const { medianMs: _none, ...withoutMedian } = BASELINE;
    expect(judgeChecks(input([], undefined, {}, withoutMedian)).map((check) => check.name)).not.toContain('cost');
    const sqs = input([], undefined);
    sqs.context.trigger = 'sqs';
    expect(judgeChecks(sqs).map((check) => check.name)).not.toContain('cost');
    expect(judgeChecks(input([], undefined)).map((check) => check.name)).toContain('cost');
  });

  it('prices a million requests from the mean duration and memory size', () => {
    // 100 ms at 1024 MB: 0.1 GB-s × $0.0000166667 × 1e6 = $1.67, plus $0.20 of request charges.
    expect(costPerMillion(100, 1024)).toBeCloseTo(1.8667, 4);
    expect(medianThresholds(80, 1.25)).toEqual({ stable: 80, candidate: 100 });
  });
});
