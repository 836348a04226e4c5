/**
 * Errors: the candidate against stable in the same minutes (the paired-count test), then, before a
 * step may pass, minimum exposure and — on the final step — the promotion bar.
 *
 * The promotion bar: the candidate's error rate *at the final step*, bounded from above
 * (anytime-valid, level α), must be below the larger of `errorTolerance × stable's rate` and
 * `stable's rate + errorMargin`. Only the final step's own requests count: they are served at the
 * highest weight, closest to what promotion brings, and a regression that sets in late (a leak, a
 * cache that fills) is not averaged away by the healthy minutes before it. Nor does promotion rest
 * on luck: the final step must also have served at least the requests that a candidate exactly as
 * good as stable would need, on average, to clear the bar (`promotionRequests`), so a few quiet
 * minutes cannot promote a candidate that went bad just before. The ratio
 * alone cannot promote functions that almost never fail (no errors on either side say nothing about
 * a ratio), so the absolute margin decides for them. Stable's rate is measured on the baseline and
 * on stable's share during the canary: many more requests than the candidate's.
 */
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';
import { formatCount, formatRate } from './check.ts';
import { compactPaired, judgePaired, pairedObservation, readPaired, updatePaired } from './paired.ts';
import { noHarmYet, sure, worseRange } from './wording.ts';
import { klBernoulli, rateUpperBound, UPPER_ALTERNATIVES } from './stats.ts';
import { round } from '../round.ts';

interface ErrorMemory {
  test: unknown;
  /** The step the exposure below was counted at. */
  step: number;
  /** Candidate invocations and errors at that step. */
  stepRequests: number;
  stepErrors: number;
}

export const errorRateCheck: JudgeCheck = {
  name: 'errors',
  alphaWeight: 2,
  applies: () => true,
  run({ judge, window, alpha, memory }: CheckInput): CheckResult {
    const { settings, context, baseline } = judge;
    const previous = (memory ?? {}) as Partial<ErrorMemory>;
    const test = updatePaired(
      readPaired(previous.test),
      window.paired.map((minute) => pairedObservation(minute, minute.candidate.errors, minute.stable.errors)),
    );
    const sameStep = previous.step === context.stepIndex && typeof previous.stepRequests === 'number';
    const stepRequests = (sameStep ? previous.stepRequests! : 0) + window.candidate.invocations;
    const stepErrors = (sameStep && typeof previous.stepErrors === 'number' ? previous.stepErrors : 0) + window.candidate.errors;
    const nextMemory: ErrorMemory = { test: compactPaired(test), step: context.stepIndex, stepRequests, stepErrors };

    const verdict = judgePaired(test, 'higherIsWorse', alpha);
    const [candidateRequests, stableRequests] = test.n;
    const [candidateErrors, stableErrors] = test.x;
    const candidateRate = candidateRequests > 0 ? candidateErrors / candidateRequests : 0;
    const stableRequestsAll = baseline.invocations + stableRequests;
    const stableRate = stableRequestsAll > 0 ? (baseline.errors + stableErrors) / stableRequestsAll : 0;
    const bar = Math.max(settings.errorTolerance * stableRate, stableRate + settings.errorMargin);
    const upper = rateUpperBound(stepRequests, stepErrors, settings.alpha);

    const figures = {
      candidateRequests,
      candidateErrors,
      candidateErrorRate: round(candidateRate, 5),
      stableRequests: stableRequestsAll,
      stableErrors: baseline.errors + stableErrors,
      stableErrorRate: round(stableRate, 5),
      errorEvidence: round(verdict.evidence, 3),
      errorEvidenceNeeded: round(verdict.needed, 1),
      errorRatioLower: round(verdict.ratioLower, 3),
      errorRatioUpper: Number.isFinite(verdict.ratioUpper) ? round(verdict.ratioUpper, 3) : null,
      stepErrorRateUpper: round(upper, 5),
      promotionBar: round(bar, 5),
      stepRequests,
      stepErrors,
      minRequests: settings.minRequests,
    };
    const comparison = `candidate ${formatRate(candidateRate)} errors (${formatCount(candidateErrors)} of ${formatCount(candidateRequests)} since the first shift) vs stable ${formatRate(stableRate)} (with its baseline)`;
    const sureText = sure(settings.alpha);

    if (verdict.worse) {
      const summary = `candidate fails ${worseRange(verdict)} as often as stable, ${sureText}: roll back`;
      return {
        phase: 'fail',
        reasons: [`${summary}; ${comparison}`],
        summary,
        figures,
        memory: nextMemory,
      };
    }
    const interval = noHarmYet(verdict);
    const noHarm = `no error regression found: ${comparison}; ${interval}`;
    if (stepRequests < settings.minRequests) {
      const waiting = `waiting for traffic: ${formatCount(stepRequests)} of ${formatCount(settings.minRequests)} candidate requests at this step`;
      return {
        phase: 'inconclusive',
        reasons: [`only ${formatCount(stepRequests)} of ${formatCount(settings.minRequests)} candidate requests at this step so far`, noHarm],
        summary: `${waiting}; ${interval}`,
        figures,
        memory: nextMemory,
      };
    }
    const needed = promotionRequests(stableRate, bar, settings.alpha);
    if (context.isFinalStep && stepRequests < needed) {
      return {
        phase: 'inconclusive',
        reasons: [
          `not yet enough requests to promote: ${formatCount(stepRequests)} of the ${formatCount(needed)} that a candidate as good as stable needs to show it is under the ${formatRate(bar)} bar`,
          noHarm,
        ],
        summary: `not yet enough requests to promote: ${formatCount(stepRequests)} of ${formatCount(needed)} at this step; ${interval}`,
        figures: { ...figures, promotionRequests: needed },
        memory: nextMemory,
      };
    }
    if (context.isFinalStep && !(upper < bar)) {
      return {
        phase: 'inconclusive',
        reasons: [
          `not yet shown good enough to promote: at this step the candidate's error rate is below ${formatRate(upper)} (${sureText}), not yet below the ${formatRate(bar)} bar (larger of ${settings.errorTolerance}× stable and stable + ${formatRate(settings.errorMargin)})`,
          noHarm,
        ],
        summary: `not yet under the ${formatRate(bar)} promotion bar: candidate below ${formatRate(upper)} at this step, ${sureText}`,
        figures,
        memory: nextMemory,
      };
    }
    const reasons = context.isFinalStep
      ? [`good enough to promote: at this step the candidate's error rate is below ${formatRate(upper)} (${sureText}), under the ${formatRate(bar)} bar`, noHarm]
      : [noHarm];
    const summary = context.isFinalStep
      ? `under the ${formatRate(bar)} promotion bar: candidate below ${formatRate(upper)} at this step, ${sureText}: promote`
      : `${interval} (errors since the first shift: candidate ${formatRate(candidateRate)}; stable ${formatRate(stableRate)} with its baseline)`;
    return { phase: 'pass', reasons, summary, figures, memory: nextMemory };
  },
};

/**
 * Requests a candidate erring exactly at stable's rate needs, on average, before its upper bound
 * clears the bar: ln(K/α) / KL(rate ‖ bar), K the number of alternatives in the bound's mixture.
 *
 * @example
 * promotionRequests(0.005, 0.01, 0.01); // ≈ 4,100 requests
 */
export function promotionRequests(stableRate: number, bar: number, alpha: number): number {
  const divergence = klBernoulli(stableRate, Math.min(bar, 1 - 1e-9));
  if (!(divergence > 0)) return Infinity;
  return Math.ceil(Math.log(UPPER_ALTERNATIVES / alpha) / divergence);
}
