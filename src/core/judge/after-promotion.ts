/**
 * Judging the promoted version after promotion (`postPromotionMinutes`): the candidate now takes all
 * traffic, so there is no stable version beside it to pair its minutes with. What stays valid is a
 * one-sample test against a number fixed before any traffic moved: the promotion bar b that Plan set
 * from the pre-shift baseline, and that the canary has just shown the candidate's error rate to be
 * under.
 *
 * H₀: the candidate's error rate p is at most b. Against it, a mixture of alternatives p₁ = r·b for
 * r in RATIOS: Λ = mean over r of (p₁/b)^x · ((1−p₁)/(1−b))^(n−x) after n requests with x errors.
 * Under any p ≤ b each request multiplies each term by p·p₁/b + (1−p)(1−p₁)/(1−b) ≤ 1 (linear in p,
 * exactly 1 at p = b), so Λ is a non-negative supermartingale under all of H₀ and, by Ville's
 * inequality, P(Λ ever reaches 1/α) ≤ α however often it is looked at: a candidate as good as the
 * bar is restored at most α of the time. The mixture lets a small regression build evidence slowly
 * and a large one within a few hundred requests.
 *
 * What it cannot do is tell the candidate from the world: with no concurrent stable, a rise in
 * errors that would have hit stable too (a dependency failing) also counts against the candidate.
 * The bar sits above stable's pre-shift rate (errorTolerance × it, or + errorMargin), which absorbs
 * ordinary drift; a larger one restores stable, the safe side when the cause is unknown.
 */
import { formatCount, formatRate } from './check.ts';
import { sure } from './wording.ts';

/** The regressions the mixture weighs equally, as multiples of the bar. */
const RATIOS = [1.5, 2, 3, 5, 10] as const;
/** An alternative stays a little under 1, or one success would end it. */
const MAX_ALTERNATIVE = 0.99;

/** ln Λ after `requests` with `errors`, against the bar. */
export function afterPromotionLogEvidence(bar: number, requests: number, errors: number): number {
  if (!(bar > 0 && bar < MAX_ALTERNATIVE)) return 0;
  const terms = RATIOS.map((ratio) => Math.min(MAX_ALTERNATIVE, ratio * bar)).map((alternative) => errors * Math.log(alternative / bar) + (requests - errors) * (Math.log1p(-alternative) - Math.log1p(-bar)));
  const top = Math.max(...terms);
  return top + Math.log(terms.reduce((sum, term) => sum + Math.exp(term - top), 0) / terms.length);
}

export interface AfterPromotionVerdict {
  /** True when the promoted version is shown above the bar, at level α. */
  worse: boolean;
  /** One line for people. */
  summary: string;
}

/**
 * The verdict on what the promoted version served since promotion.
 *
 * @example
 * judgeAfterPromotion({ bar: 0.01, alpha: 0.01, requests: 5000, errors: 200 }).worse; // true: 4% against a 1% bar
 */
export function judgeAfterPromotion({ bar, alpha, requests, errors }: { bar: number; alpha: number; requests: number; errors: number }): AfterPromotionVerdict {
  const worse = afterPromotionLogEvidence(bar, requests, errors) >= Math.log(1 / alpha);
  const seen = `${formatRate(requests > 0 ? errors / requests : 0)} errors since promotion (${formatCount(errors)} of ${formatCount(requests)})`;
  return {
    worse,
    summary: worse ? `promoted version fails above the ${formatRate(bar)} bar it was promoted under, ${sure(alpha)}: ${seen}` : `no sign above the ${formatRate(bar)} bar it was promoted under: ${seen}`,
  };
}
