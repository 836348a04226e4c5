/**
 * Cost per request. Lambda bills duration × memory, so a candidate whose typical request takes
 * twice as long costs about twice as much, even with the same tail and the same errors: the latency
 * check (requests over stable's p99) does not see it. This check counts, per version and minute,
 * the requests slower than a median threshold (CloudWatch `TC(threshold:)`): stable's against its
 * own pre-shift median, the candidate's against `costTolerance` × that median. Half of stable's
 * requests are over its median; more than half of the candidate's are over the tolerated threshold
 * exactly when the candidate's median is above tolerance × stable's. So the paired-count test that
 * judges errors and slow requests, run on these counts, rolls back once the candidate's median is
 * shown above the tolerance, with the same anytime-valid bound on false rollbacks.
 *
 * The cost figures (per million requests, from each version's mean duration and memory size) are
 * for people; the decision rests on the counts, which need no price list.
 */
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';
import { LEANING_WORSE_EVIDENCE } from './error-rate.ts';
import { compactPaired, countPaired } from './paired.ts';
import type { JudgeInput } from './types.ts';

/**
 * Lambda's list prices (us-east-1, x86_64, first tier): per GB-second of duration and per request.
 * Arm64 is 20% cheaper per GB-second; the ratio between versions barely depends on which.
 */
export const LAMBDA_USD_PER_GB_SECOND = 0.0000166667;
export const LAMBDA_USD_PER_REQUEST = 0.0000002;

/** US dollars per million requests at a mean duration and memory size (never under $0.20: the request charge). */
export function costPerMillion(meanMs: number, memoryMB: number): number {
  return 1e6 * ((meanMs / 1000) * (memoryMB / 1024) * LAMBDA_USD_PER_GB_SECOND + LAMBDA_USD_PER_REQUEST);
}

/** The thresholds each version's requests are counted against: stable's median, and the candidate's tolerated median. */
export function medianThresholds(medianMs: number, costTolerance: number): { stable: number; candidate: number } {
  return { stable: medianMs, candidate: medianMs * costTolerance };
}

interface CostMemory {
  test: unknown;
  /** Σ mean duration × invocations of candidate and stable, then the invocations they cover (minutes with a mean). */
  d: number[];
}

export const costCheck: JudgeCheck = {
  name: 'cost',
  // Shares the one weight of the durations with the latency check (latency.ts says why).
  alphaWeight: 0.5,
  applies: (input: JudgeInput) => input.context.trigger === 'api' && !!input.baseline.medianMs,
  run({ judge, window, alpha, memory }: CheckInput): CheckResult {
    const { costTolerance } = judge.settings;
    const previous = (memory ?? {}) as Partial<CostMemory>;
    const d = [...(previous.d ?? [0, 0, 0, 0])];
    // Minutes without a count are left out: those of a failed query (the data check holds that look)
    // and late arrivals of a minute already judged (time-outs, mostly: errors and latency judge them).
    const { test, verdict } = countPaired(window.paired, previous.test, (version) => version.overMedian, alpha);
    for (const { candidate: c, stable: s } of window.paired) {
      if (c.averageMs && s.averageMs) {
        d[0]! += c.averageMs * c.invocations;
        d[1]! += s.averageMs * s.invocations;
        d[2]! += c.invocations;
        d[3]! += s.invocations;
      }
    }
    const next: CostMemory = { test: compactPaired(test), d };
    const cost = costLine(d, judge.context.memoryMB);
    // Leaning over the tolerance holds the step, as errors and cold starts do (error-rate.ts says why).
    const leaning = !verdict.worse && verdict.evidence >= LEANING_WORSE_EVIDENCE;
    const line = verdict.worse
      ? `median over ${costTolerance}× stable's: roll back`
      : leaning
        ? `the median leans over ${costTolerance}× stable's, short of a verdict; holding this weight until that settles`
        : `median not shown over ${costTolerance}× stable's`;
    const summary = cost.text + line;
    return { phase: verdict.worse ? 'fail' : leaning ? 'inconclusive' : 'pass', reasons: [summary], summary, figures: cost.figures, memory: next };
  },
};

/** "+96% cost per request: 0.41 → 0.80 $ per million; ", with its figures; empty when durations or memory are unknown. */
function costLine(d: number[], memoryMB: { stable: number; candidate: number } | undefined): { text: string; figures: Record<string, number> } {
  if (!memoryMB || !(d[2]! > 0) || !(d[3]! > 0)) return { text: '', figures: {} };
  const costC = costPerMillion(d[0]! / d[2]!, memoryMB.candidate);
  const costS = costPerMillion(d[1]! / d[3]!, memoryMB.stable);
  const change = costC / costS - 1;
  return {
    text: `${change > 0 ? '+' : ''}${Math.round(change * 100)}% cost per request: ${costS.toFixed(2)} → ${costC.toFixed(2)} $ per million; `,
    figures: {
      candidateCost: costC,
      stableCost: costS,
    },
  };
}
