/**
 * Latency: requests slower than stable's pre-shift percentile (the baseline threshold, counted by
 * CloudWatch per version as `slow`) are counted like errors and fed to the same paired test. A
 * candidate with the same median but a heavier tail shows up here even when its p99 stays under
 * any absolute limit. Without a baseline threshold (no pre-shift data) latency is not compared,
 * and the reasons say so.
 */
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';
import { formatCount, formatRate } from './check.ts';
import { compactPaired, countPaired } from './paired.ts';
import { noHarmYet, sure, worseRange } from './wording.ts';
import { round } from '../round.ts';

export const latencyCheck: JudgeCheck = {
  name: 'latency',
  // Latency and cost count the same durations against two thresholds (stable's p99 and its median):
  // one signal, one weight, shared — so adding the cost view took no power from the errors test.
  alphaWeight: 0.5,
  applies: (input) => input.baseline.latencyThresholdMs !== undefined,
  run({ judge, window, alpha, memory }: CheckInput): CheckResult {
    const threshold = judge.baseline.latencyThresholdMs!;
    const { test, verdict, missing, rateC, rateS } = countPaired(window.paired, memory, (version) => version.slow, alpha);
    const [slowC, slowS] = test.x;
    const figures = {
      slowThresholdMs: round(threshold, 1),
      candidateSlow: slowC,
      stableSlow: slowS,
      candidateSlowRate: round(rateC, 5),
      stableSlowRate: round(rateS, 5),
      latencyEvidence: round(verdict.evidence, 3),
      latencyEvidenceNeeded: round(verdict.needed, 1),
    };
    const comparison = `${formatRate(rateC)} of candidate requests slower than ${formatCount(threshold)} ms vs ${formatRate(rateS)} of stable's`;
    if (verdict.worse) {
      const summary = `candidate is slower: ${worseRange(verdict)} as many requests over ${formatCount(threshold)} ms as stable, ${sure(judge.settings.alpha)}: roll back`;
      return {
        phase: 'fail',
        reasons: [`${summary}; ${comparison}`],
        summary,
        figures,
        memory: compactPaired(test),
      };
    }
    if (missing > 0) {
      return {
        phase: 'inconclusive',
        reasons: [`latency data missing: no slow-request count in ${missing} minute${missing === 1 ? '' : 's'} of this window`],
        summary: `latency data missing in ${missing} minute${missing === 1 ? '' : 's'} of this window; ${noHarmYet(verdict)}`,
        figures,
        memory: compactPaired(test),
      };
    }
    return {
      phase: 'pass',
      reasons: [`no latency regression found: ${comparison}; ${noHarmYet(verdict)}`],
      summary: `${noHarmYet(verdict)} in requests over ${formatCount(threshold)} ms (since the first shift: candidate ${formatRate(rateC)}, stable ${formatRate(rateS)})`,
      figures,
      memory: compactPaired(test),
    };
  },
};

/** Said once when latency cannot be compared, so nobody mistakes silence for a pass. */
export const NO_LATENCY_BASELINE = 'latency not compared: the stable version had no duration data before the first shift';

/** The latency line of a look without a baseline threshold: listed, so the scorecard shows it was not compared. */
export const NO_LATENCY_VERDICT = { name: 'latency', phase: 'pass', summary: 'not compared: stable had no duration data before the first shift', figures: {} } as const;
