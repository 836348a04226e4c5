/**
 * Cold starts per version. A candidate that starts a new execution environment more often (a bigger
 * bundle, work moved into init, a crash that recycles environments) slows the requests that land on
 * a new environment by its init duration, minutes before anything fails. Lambda writes an
 * `Init Duration` on the REPORT line of each cold start, and each version's log streams carry the
 * version in their names, so Evaluate counts each version's cold starts per minute (Logs Insights,
 * docs/signals.md). Here the counts go through the paired-count test, against "the candidate
 * cold-starts at most `coldStartTolerance` × as often as stable": the same anytime-valid bound on
 * false rollbacks as errors and slow requests, with the null moved from ρ = 1 to the tolerance.
 *
 * Init durations are reported, not tested: a slower init shows in the latency check's counts, and a
 * mean over a handful of cold starts says little on its own.
 *
 * Short of a verdict, a candidate that leans over the tolerance (evidence LEANING_WORSE_EVIDENCE or
 * more) holds its step, the final one too: cold starts are rare, so the test is often still short of
 * a verdict when the errors would promote, and a candidate cold-starting 5× as often was promoted on
 * schedule (docs/signals.md has the numbers). A step before the last is held only while the budget
 * has room for the later steps and the final share (`noRoomToHold`, src/core/look.ts); the final
 * step is held whatever the budget says, since promotion cannot be undone.
 */
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';
import { formatCount, formatRate } from './check.ts';
import { compactPaired, countPaired, type PairedVerdict } from './paired.ts';
import { logMixture, RATIO_GRID, WORSE_WEIGHTS } from './stats.ts';
import { ratioRange, ratioText, sure, worseRange } from './wording.ts';
import { round } from '../round.ts';
import { LEANING_WORSE_EVIDENCE } from './error-rate.ts';

/** The grid point the tolerance is tested at: the smallest at or above it, so a candidate within the tolerance is never rolled back for it. */
export function toleranceIndex(tolerance: number): number {
  const index = RATIO_GRID.findIndex((ratio) => ratio >= tolerance * (1 - 1e-9));
  return index === -1 ? RATIO_GRID.length - 1 : index;
}

/** ln E against "ratio ≤ the grid point at `reference`": the mixture over the points above it, weighted as the errors test weighs those above 1. */
export function logEvidenceAbove(logLr: readonly number[], reference: number): number {
  const above = RATIO_GRID.map((_, i) => i).filter((i) => i > reference).slice(0, WORSE_WEIGHTS.length);
  if (above.length === 0) return -Infinity;
  const weights = WORSE_WEIGHTS.slice(0, above.length);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return logMixture(logLr, reference, above, weights.map((weight) => weight / total));
}

interface ColdStartMemory {
  test: unknown;
  /** Init milliseconds summed over the cold starts counted, [candidate, stable]. */
  initMs: [number, number];
}

function readInit(memory: unknown): [number, number] {
  const initMs = (memory as Partial<ColdStartMemory> | undefined)?.initMs;
  return Array.isArray(initMs) && initMs.length === 2 && initMs.every((value) => typeof value === 'number' && Number.isFinite(value)) ? [initMs[0]!, initMs[1]!] : [0, 0];
}

export const coldStartCheck: JudgeCheck = {
  name: 'coldStarts',
  // Half a share, as each of the durations' checks: a leading indicator should not take the errors test's power.
  alphaWeight: 0.5,
  applies: (input) => input.context.trigger === 'api' && input.context.coldStarts === true,
  run({ judge, window, alpha, memory }: CheckInput): CheckResult {
    const tolerance = RATIO_GRID[toleranceIndex(judge.settings.coldStartTolerance)]!;
    const previous = (memory ?? {}) as Partial<ColdStartMemory>;
    // Minutes without a count (a failed or unfinished query, late arrivals) are left out: the data check holds such a look.
    const { test, verdict, rateC, rateS } = countPaired(window.paired, previous.test, (version) => version.coldStarts, alpha);
    const initMs = readInit(memory);
    for (const minute of window.paired) {
      for (const [i, version] of [minute.candidate, minute.stable].entries()) {
        if (version.coldStarts && version.initMs !== undefined) initMs[i] += version.initMs * version.coldStarts;
      }
    }
    const [coldC, coldS] = test.x;
    const initC = coldC > 0 ? initMs[0] / coldC : undefined;
    const initS = coldS > 0 ? initMs[1] / coldS : undefined;
    const logEvidence = logEvidenceAbove(test.L, toleranceIndex(tolerance));
    const needed = 1 / alpha;
    const worse = logEvidence >= Math.log(needed);
    const figures = {
      candidateColdStarts: coldC,
      stableColdStarts: coldS,
      candidateColdStartRate: round(rateC, 5),
      stableColdStartRate: round(rateS, 5),
      candidateInitMs: initC === undefined ? null : round(initC, 1),
      stableInitMs: initS === undefined ? null : round(initS, 1),
      coldStartEvidence: round(Math.exp(logEvidence), 3),
      coldStartEvidenceNeeded: round(needed, 1),
    };
    const init = initC !== undefined && initS !== undefined ? `, init ${formatCount(initS)} → ${formatCount(initC)} ms` : '';
    const rates = `candidate ${formatRate(rateC)} of requests, stable ${formatRate(rateS)}${init}`;
    const nextMemory: ColdStartMemory = { test: compactPaired(test), initMs: [round(initMs[0], 1), round(initMs[1], 1)] };
    if (worse) {
      const summary = `candidate cold-starts ${worseRange(atLeast(verdict, tolerance))} as often as stable, over the ${ratioText(tolerance)} tolerated, ${sure(judge.settings.alpha)}: roll back (${rates})`;
      return { phase: 'fail', reasons: [summary], summary, figures, memory: nextMemory };
    }
    if (logEvidence >= Math.log(LEANING_WORSE_EVIDENCE) && !judge.context.noRoomToHold) {
      const summary = `the candidate leans over ${ratioText(tolerance)} stable's cold starts, short of a verdict; holding this weight until that settles (${rates})`;
      return { phase: 'inconclusive', reasons: [summary], summary, figures, memory: nextMemory };
    }
    const summary = `cold starts not shown over ${ratioText(tolerance)} stable's: ratio ${ratioRange(verdict)} (${rates})`;
    return { phase: 'pass', reasons: [summary], summary, figures, memory: nextMemory };
  },
};

/** The interval shown with a rollback: it starts no lower than the tolerance the test ruled out. */
function atLeast(verdict: PairedVerdict, tolerance: number): PairedVerdict {
  return { ...verdict, ratioLower: Math.max(verdict.ratioLower, tolerance) };
}
