/**
 * Concurrency at 100%: from the busiest minute the alias has served since the first shift (both
 * versions, throttles included) and the candidate's mean duration so far, the executions the
 * candidate would run at once with all the traffic (src/core/concurrency.ts). On the final step, a
 * forecast over the function's reserved concurrency (or the account's unreserved pool) holds the
 * promotion with the figures: promoting would throttle requests that stable serves today. It holds
 * rather than rolls back: the candidate is not shown worse, and raising the limit, or a quieter
 * hour, lets it through; if neither comes, the step's extension runs out and the canary ends
 * inconclusive. A plain limit, no test: it spends no α.
 *
 * A function whose stable version already needs more than the limit at that busiest minute is
 * throttled today, whichever version runs: the candidate is held only if it needs more than stable
 * by more than the cost tolerance (a costlier candidate throttles more), else no release of a
 * function that throttles at its peaks could ever be promoted.
 */
import { concurrencyNeeded } from '../concurrency.ts';
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';
import { formatCount } from './check.ts';
import { round } from '../round.ts';

interface ConcurrencyMemory {
  /** The busiest minute's requests at the alias. */
  peak: number;
  /** Σ mean duration × invocations of the candidate, and the invocations. */
  ms: number;
  n: number;
  /** The same for stable. */
  sms: number;
  sn: number;
}

function readMemory(memory: unknown): ConcurrencyMemory {
  const m = (memory ?? {}) as Partial<ConcurrencyMemory>;
  const ok = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
  return { peak: ok(m.peak) ? m.peak : 0, ms: ok(m.ms) ? m.ms : 0, n: ok(m.n) ? m.n : 0, sms: ok(m.sms) ? m.sms : 0, sn: ok(m.sn) ? m.sn : 0 };
}

export const concurrencyCheck: JudgeCheck = {
  name: 'concurrency',
  alphaWeight: 0,
  applies: (input) => input.context.trigger === 'api' && input.context.concurrency !== undefined,
  run({ judge, window, memory }: CheckInput): CheckResult {
    const { limit, source } = judge.context.concurrency!;
    const next = readMemory(memory);
    for (const { candidate, stable, lateFor } of window.paired) {
      if (!lateFor) next.peak = Math.max(next.peak, candidate.invocations + candidate.throttles + stable.invocations + stable.throttles);
      if (candidate.averageMs !== undefined && candidate.invocations > 0) {
        next.ms += candidate.averageMs * candidate.invocations;
        next.n += candidate.invocations;
      }
      if (stable.averageMs !== undefined && stable.invocations > 0) {
        next.sms += stable.averageMs * stable.invocations;
        next.sn += stable.invocations;
      }
    }
    const kept = { peak: next.peak, ms: round(next.ms, 1), n: next.n, sms: round(next.sms, 1), sn: next.sn };
    const of = source === 'reserved' ? `the function's reserved concurrency of ${formatCount(limit)}` : `the account's ${formatCount(limit)} unreserved`;
    if (next.n === 0) return { phase: 'pass', reasons: [], summary: 'at 100%: not forecast yet (no mean duration of the candidate read)', figures: { concurrencyLimit: limit }, memory: kept };
    const meanMs = next.ms / next.n;
    const needed = concurrencyNeeded(next.peak, meanMs);
    const figures = { concurrencyAt100: round(needed, 1), concurrencyLimit: limit, peakRequestsPerMinute: next.peak, candidateMeanMs: round(meanMs, 1) };
    const forecast = `about ${about(needed)} concurrent executions (${formatCount(next.peak)} requests a minute at its busiest × ${formatCount(meanMs)} ms)`;
    const stableNeeded = next.sn > 0 ? concurrencyNeeded(next.peak, next.sms / next.sn) : undefined;
    if (needed > limit && stableNeeded !== undefined && stableNeeded > limit && needed <= stableNeeded * judge.settings.costTolerance) {
      const summary = `at 100% the candidate would need ${forecast}, over ${of}; stable needs about ${about(stableNeeded)} at that traffic, so the function throttles at its peak whichever version runs, and the candidate adds no more than the cost tolerance`;
      return { phase: 'pass', reasons: [], summary, figures: { ...figures, stableConcurrencyAt100: round(stableNeeded, 1) }, memory: kept };
    }
    if (needed > limit && judge.context.isFinalStep) {
      const summary = `holding before promotion: at 100% the candidate would need ${forecast}, over ${of}`;
      return { phase: 'inconclusive', reasons: [summary], summary, figures, memory: kept };
    }
    const summary = `at 100% the candidate would need ${forecast}${needed > limit ? `, over ${of}: promotion will hold` : ` of ${of}`}`;
    return { phase: 'pass', reasons: [], summary, figures, memory: kept };
  },
};

/** A concurrency to three significant digits, with thousands separators. */
function about(executions: number): string {
  return Number(executions.toPrecision(3)).toLocaleString('en-US');
}
