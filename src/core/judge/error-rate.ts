/**
 * Errors: the candidate against stable in the same minutes (the paired-count test, which rolls back),
 * then, before a step may pass, its minimum exposure and — on the final step — the promotion test.
 *
 * The promotion test (promotion.ts) uses every request the candidate served since the first shift
 * against the bar Plan fixed from pre-shift data (`context.promotion`): P(promoting a candidate whose
 * error rate is at or above the bar) ≤ α, however often it looks. Counting every request, with a
 * one-point alternative at stable's rate, it needs about what an ideal sequential test of the same
 * bar needs.
 *
 * Before a step passes, the candidate must not lean worse (LEANING_WORSE_EVIDENCE): a regression is
 * kept at the lower weight while the evidence gathers.
 *
 * A regression that sets in late (a leak, a cache that fills) has a check of its own: the final step
 * — the weight promotion brings — must have served the requests Plan asked of it (at least half the
 * expected canary), and its own requests must favour "as good as stable" over "at the bar" (the same
 * likelihood ratio, restarted at the final step, at least 1). A regression that began in the first
 * half is then seen at the final weight, and it also pulls the cumulative evidence down at once, so
 * promotion waits while the paired test, or the budget, rolls it back.
 */
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';
import { formatCount, formatRate } from './check.ts';
import { compactPaired, judgePaired, pairedObservation, readPaired, updatePaired } from './paired.ts';
import { promotionAlternative, promotionLogEvidence } from './promotion.ts';
import type { JudgeInput, PlannedPromotion } from './types.ts';
import { noHarmYet, ratioText, sure, worseRange } from './wording.ts';
import { round } from '../round.ts';

interface ErrorMemory {
  test: unknown;
  /** The step the exposure below was counted at. */
  step: number;
  /** Candidate invocations and errors at that step. */
  stepRequests: number;
  stepErrors: number;
}

/**
 * A step passes to a higher weight only while the candidate does not lean worse: the errors test's
 * evidence for "worse" under 2 (the data favour a regression 2 to 1 or more). A regression then spends
 * its time at the lower weight, where it fails fewer requests while the evidence grows; a candidate as
 * good as stable seldom leans that way, and not for long (its evidence is a supermartingale of mean ≤ 1
 * that drifts down). Holding changes only how much traffic the candidate gets next, which the tests
 * allow (every weight is set before its minute's counts), so α is untouched. What it saves and costs
 * is measured in docs/judge.md ("Holding a weight while the candidate leans worse"). It holds only
 * while the budget has room for the later steps and the final share (`noRoomToHold`, src/core/look.ts).
 */
export const LEANING_WORSE_EVIDENCE = 2;

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
    const promotion = plannedPromotion(judge);
    const { bar } = promotion;
    const evidence = promotionLogEvidence(promotion, candidateRequests, candidateErrors);
    const finalStepEvidence = promotionLogEvidence(promotion, stepRequests, stepErrors);
    const stepMinRequests = promotion.stepMinRequests[context.stepIndex] ?? settings.minRequests;

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
      promotionBar: round(bar, 6),
      promotionEvidence: round(Math.exp(Math.min(evidence, 700)), 3),
      stepRequests,
      stepErrors,
      stepMinRequests,
      ...(context.isFinalStep ? { finalStepMinRequests: promotion.finalStepMinRequests } : {}),
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
    const inconclusive = (line: string): CheckResult => ({ phase: 'inconclusive', reasons: [line, noHarm], summary: `${line}; ${interval}`, figures, memory: nextMemory });
    if (stepRequests < stepMinRequests) {
      return inconclusive(`waiting for traffic: ${formatCount(stepRequests)} of ${formatCount(stepMinRequests)} candidate requests at this step`);
    }
    if (!context.isFinalStep) {
      if (verdict.evidence >= LEANING_WORSE_EVIDENCE && !context.noRoomToHold) {
        return inconclusive(`the candidate leans worse: about ${ratioText(verdict.ratioEstimate)} stable's errors so far, short of a verdict; holding this weight until that settles`);
      }
      const summary = `${interval} (errors since the first shift: candidate ${formatRate(candidateRate)}; stable ${formatRate(stableRate)} with its baseline)`;
      return { phase: 'pass', reasons: [noHarm], summary, figures, memory: nextMemory };
    }
    const promotionSure = sure(promotion.alpha);
    const barText = `the ${formatRate(bar)} promotion bar`;
    if (evidence < Math.log(1 / promotion.alpha)) {
      return inconclusive(`not yet ${promotionSure} under ${barText} (${formatCount(candidateErrors)} errors in ${formatCount(candidateRequests)} requests)`);
    }
    if (stepRequests < promotion.finalStepMinRequests && !context.budgetSpent) {
      // The final weight is held for its planned share, so that a regression that sets in late shows
      // before promotion. The share is a lookout, not part of the guarantee: once the budget is spent
      // (holds on the way reached the final step late), a candidate that has shown the bar, and whose
      // final step leans its way (below), is promoted rather than rolled back as inconclusive.
      return inconclusive(`under ${barText}, ${promotionSure}; holding the final weight: ${formatCount(stepRequests)} of ${formatCount(promotion.finalStepMinRequests)} requests`);
    }
    if (finalStepEvidence < 0) {
      return inconclusive(`under ${barText}, not yet on the final step alone`);
    }
    const line = `under ${barText}, ${promotionSure}: promote`;
    return { phase: 'pass', reasons: [line, noHarm], summary: line, figures, memory: nextMemory };
  },
};

/**
 * The promotion test Plan fixed. A state written before plans carried one gets the default bar from
 * the pre-shift baseline alone (never from the canary's own minutes, so the test stays exact).
 */
function plannedPromotion({ context, baseline: b, settings: s }: JudgeInput): PlannedPromotion {
  if (context.promotion) return context.promotion;
  const rate = b.invocations > 0 ? b.errors / b.invocations : 0;
  const bar = Math.max(s.errorTolerance * rate, rate + s.errorMargin);
  return { bar, alternative: promotionAlternative(rate, bar), alpha: s.alpha, stepMinRequests: [], finalStepMinRequests: 0 };
}
