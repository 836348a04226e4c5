import { describe, expect, it } from 'vitest';
import { logEvidenceAbove, toleranceIndex } from '../../../src/core/judge/cold-starts.ts';
import { assess, judgeChecks } from '../../../src/core/judge/index.ts';
import { analysisSchema, type AnalysisRequest } from '../../../src/core/judge/settings.ts';
import { RATIO_GRID, RATIO_ONE } from '../../../src/core/judge/stats.ts';
import type { Assessment, JudgeInput, JudgeMemory } from '../../../src/core/judge/types.ts';
import type { Baseline, MinuteObservation, VersionMinute } from '../../../src/core/ports.ts';
import { Random } from '../../../src/sim/random.ts';

const BASELINE: Baseline = { minutes: 15, invocations: 9000, errors: 45, latencyThresholdMs: 400, medianMs: 80 };

function version(rng: Random, invocations: number, coldStartRate: number | undefined, initMs: number): VersionMinute {
  const coldStarts = coldStartRate === undefined ? undefined : rng.binomial(invocations, coldStartRate);
  return { invocations, errors: 0, throttles: 0, slow: Math.round(invocations * 0.01), ...(coldStarts === undefined ? {} : { coldStarts, ...(coldStarts > 0 ? { initMs } : {}) }) };
}

function input(minutes: MinuteObservation[], memory: JudgeMemory | undefined, settings: AnalysisRequest = {}, coldStarts = true): JudgeInput {
  return {
    memory,
    window: { minutes, failures: [] },
    baseline: BASELINE,
    context: { trigger: 'api', stepIndex: 0, stepCount: 3, weight: 50, isFinalStep: false, minutesInStep: 1, coldStarts },
    settings: analysisSchema.parse(settings),
  };
}

/** Looks once a minute for `times` minutes at 600 requests a minute split evenly; stable cold-starts 0.5% of the time, at 250 ms. */
function run(times: number, candidate: { rate: number | undefined; initMs: number }, settings: AnalysisRequest = {}, seed = 1): Assessment {
  const rng = new Random(seed);
  let memory: JudgeMemory | undefined;
  let last!: Assessment;
  for (let i = 0; i < times; i++) {
    const observation: MinuteObservation = {
      minute: new Date(Date.UTC(2026, 0, 5, 9, i)).toISOString(),
      stable: version(rng, 300, 0.005, 250),
      candidate: version(rng, 300, candidate.rate, candidate.initMs),
    };
    last = assess(input([observation], memory, settings));
    memory = last.memory;
  }
  return last;
}

const coldStarts = (assessment: Assessment) => assessment.checks!.find((check) => check.name === 'coldStarts')!;

describe('the cold-start check', () => {
  it('rolls back a candidate that cold-starts four times as often, saying so with both init durations', () => {
    const assessment = run(40, { rate: 0.02, initMs: 600 });

    expect(assessment.phase).toBe('fail');
    expect(coldStarts(assessment).phase).toBe('fail');
    expect(coldStarts(assessment).summary).toMatch(/^candidate cold-starts [0-9.]+–[0-9.∞]+× as often as stable, over the 1\.4× tolerated, 99% sure: roll back \(candidate .*%.*, init 250 → 600 ms\)$/);
    expect(coldStarts(assessment).figures).toMatchObject({ stableInitMs: 250, candidateInitMs: 600 });
  });

  it('passes a candidate that cold-starts as often as stable, in every one of 50 seeds', () => {
    const phases = Array.from({ length: 50 }, (_, seed) => coldStarts(run(60, { rate: 0.005, initMs: 250 }, {}, seed)).phase);

    expect(phases.filter((phase) => phase === 'fail')).toEqual([]);
  });

  it('tolerates a rate under the tolerance that a test against 1× would roll back', () => {
    const tolerant = run(120, { rate: 0.009, initMs: 250 }, { coldStartTolerance: 2 });
    const strict = run(120, { rate: 0.009, initMs: 250 }, { coldStartTolerance: 1 });

    expect(coldStarts(tolerant).phase).toBe('pass');
    expect(coldStarts(strict).phase).toBe('fail');
  });

  it('holds the step while the candidate leans over the tolerance, short of a verdict', () => {
    // A few minutes of a candidate cold-starting five times as often: too few cold starts for a verdict, enough to lean.
    const verdict = coldStarts(run(4, { rate: 0.025, initMs: 250 }));

    expect(verdict.phase).toBe('inconclusive');
    expect(verdict.summary).toMatch(/^the candidate leans over 1\.4× stable's cold starts, short of a verdict; holding this weight until that settles \(candidate /);
  });

  it('leaves out minutes without a cold-start count rather than reading them as none', () => {
    const assessment = run(40, { rate: undefined, initMs: 250 });

    expect(coldStarts(assessment).phase).toBe('pass');
    expect(coldStarts(assessment).figures).toMatchObject({ candidateColdStarts: 0, stableColdStarts: 0 });
  });

  it('runs only for request-driven canaries whose cold starts are read', () => {
    const names = (value: JudgeInput) => judgeChecks(value).map((check) => check.name);

    expect(names(input([], undefined))).toContain('coldStarts');
    expect(names(input([], undefined, {}, false))).not.toContain('coldStarts');
  });

  it('tests the tolerance at the grid point at or above it', () => {
    expect(RATIO_GRID[toleranceIndex(1)]).toBe(1);
    expect(RATIO_GRID[toleranceIndex(1.4)]).toBeCloseTo(Math.SQRT2);
    expect(RATIO_GRID[toleranceIndex(1.5)]).toBe(2);
    expect(RATIO_GRID[toleranceIndex(2)]).toBe(2);
  });

  it('weighs the evidence against 1× exactly as the errors test does', () => {
    const logLr = RATIO_GRID.map((ratio) => 3 * Math.log(ratio));

    expect(logEvidenceAbove(logLr, RATIO_ONE)).toBeGreaterThan(0);
    expect(logEvidenceAbove(logLr, RATIO_GRID.length - 1)).toBe(-Infinity);
  });
});
