/**
 * How the judge says what it found, for people: intervals and words, never raw evidence (an
 * e-value of 27,023,238,340 tells nobody anything). The figures keep the numbers for machines.
 */
import type { PairedVerdict } from './paired.ts';

/** "99% sure" for α = 0.01: the chance the judge is wrong about a rollback is at most α. */
export function sure(alpha: number): string {
  return `${Number(((1 - alpha) * 100).toPrecision(4))}% sure`;
}

/** A ratio bound for display: 1.414 → "1.4×", Infinity → "∞×", 0 → "0×". */
export function ratioText(ratio: number): string {
  if (!Number.isFinite(ratio)) return '∞×';
  if (ratio === 0) return '0×';
  return `${Number(ratio.toPrecision(2))}×`;
}

/**
 * The candidate-to-stable ratio a paired test allows, in words: "between 0.6× and 6×".
 * The bounds are the grid points the test has ruled out, so the true ratio lies strictly between them.
 */
export function ratioRange(verdict: Pick<PairedVerdict, 'ratioLower' | 'ratioUpper'>): string {
  return `between ${ratioText(verdict.ratioLower)} and ${ratioText(verdict.ratioUpper)}`;
}

/**
 * "1.4–∞×" for a regression found: at least the lower bound, at most the upper. When the test ruled
 * out only ratios up to 1 (the lower bound sits on 1×), the line says "more than 1×", so that a
 * rollback never reads as "1×", as if the two were the same.
 */
export function worseRange(verdict: Pick<PairedVerdict, 'ratioLower' | 'ratioUpper'>, direction: 'higherIsWorse' | 'lowerIsWorse' = 'higherIsWorse'): string {
  if (direction === 'lowerIsWorse') {
    // Lower is worse: the candidate's ratio is below the upper bound, which is at most 1×.
    const upper = Math.min(1, verdict.ratioUpper);
    return upper >= 1 ? `less than 1× (at least ${ratioText(verdict.ratioLower)})` : `${ratioText(verdict.ratioLower).slice(0, -1)}–${ratioText(upper)}`;
  }
  const lower = Math.max(1, verdict.ratioLower);
  if (lower > 1) return `${ratioText(lower).slice(0, -1)}–${ratioText(verdict.ratioUpper)}`;
  return Number.isFinite(verdict.ratioUpper) ? `more than 1× (at most ${ratioText(verdict.ratioUpper)})` : 'more than 1×';
}

/**
 * What a paired test says while it has not found the candidate worse: "no difference yet: ratio
 * between 0.6× and 6×", or, once the interval leaves 1× on the good side, that the candidate is better.
 */
export function noHarmYet(verdict: Pick<PairedVerdict, 'ratioLower' | 'ratioUpper'>, direction: 'higherIsWorse' | 'lowerIsWorse' = 'higherIsWorse'): string {
  const better = direction === 'higherIsWorse' ? verdict.ratioUpper <= 1 : verdict.ratioLower >= 1;
  return better ? `candidate better than stable: ratio ${ratioRange(verdict)}` : `no difference yet: ratio ${ratioRange(verdict)}`;
}
