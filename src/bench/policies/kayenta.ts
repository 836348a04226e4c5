/**
 * Kayenta's NetflixACAJudge (spinnaker/kayenta, kayenta-judge: NetflixACAJudge.scala,
 * MannWhitneyClassifier.scala, IQRDetector.scala), run at the end of every step of the strategy on
 * the per-minute series since the first shift (Spinnaker's default growing window):
 * - each metric's series is cleaned of NaNs (minutes without requests) and of outliers
 *   (IQRDetector(factor = 3, reduceSensitivity = true): fences at min(p1, Q1 − 3·IQR) and
 *   max(p99, Q3 + 3·IQR));
 * - the candidate (experiment) is compared with stable (control) by the Mann–Whitney U test's
 *   confidence interval for the shift (Hodges–Lehmann, 98% confidence); the metric is "High" when
 *   the interval's lower end is above 0.25 × |estimate| (MannWhitneyClassifier(fraction = 0.25));
 * - the score is the share of metrics that pass; below the pass score 95 the canary fails.
 * Metrics: error rate per minute and p99 per minute (higher is worse), and the request's custom
 * count metrics per request (in their direction) — what a canary config for a Lambda would hold.
 * The interval is the normal approximation of R's wilcox.test (Hollander & Wolfe), without its
 * tie correction.
 */
import { normalQuantile } from '../../sim/random.ts';
import { StepWalker, type ObservedMinute, type Policy, type PolicyAction, type PolicyContext } from '../policy.ts';

const CONFIDENCE = 0.98;
const FRACTION = 0.25;
const PASS_SCORE = 95;
const IQR_FACTOR = 3;

interface MetricSeries {
  name: string;
  higherIsWorse: boolean;
  control: number[];
  experiment: number[];
}

export const kayentaPolicy: Policy = {
  name: 'kayenta-mann-whitney',
  summary: "Kayenta's NetflixACAJudge at each step's end: Mann–Whitney on per-minute series, 98% confidence, pass score 95",
  start(context: PolicyContext) {
    const steps = new StepWalker(context.strategy);
    const counts = context.settings.customMetrics.filter((metric) => metric.kind === 'count');
    const series: MetricSeries[] = [
      { name: 'errorRate', higherIsWorse: true, control: [], experiment: [] },
      { name: 'p99', higherIsWorse: true, control: [], experiment: [] },
      ...counts.map((metric) => ({ name: metric.id, higherIsWorse: metric.direction === 'higherIsWorse', control: [], experiment: [] })),
    ];
    return {
      weight: () => steps.weight,
      observe(minute: ObservedMinute): PolicyAction {
        steps.tick();
        record(series[0]!, minute, (v) => (v.invocations > 0 ? v.errors / v.invocations : NaN));
        record(series[1]!, minute, (v) => v.p99Ms ?? NaN);
        counts.forEach((metric, i) => record(series[2 + i]!, minute, (v) => (v.invocations > 0 ? (v.custom?.[metric.id] ?? 0) / v.invocations : NaN)));
        if (steps.minutesInStep < context.strategy.intervalMinutes) return 'continue';
        const passing = series.filter((metric) => classify(metric) !== 'High').length;
        const score = (100 * passing) / series.length;
        if (score < PASS_SCORE) return 'rollback';
        if (steps.isFinalStep) return 'promote';
        steps.advance();
        return 'continue';
      },
    };
  },
};

function record(metric: MetricSeries, minute: ObservedMinute, value: (v: ObservedMinute['stable']) => number): void {
  metric.control.push(value(minute.stable));
  metric.experiment.push(value(minute.candidate));
}

/** 'High' when the candidate is worse beyond Kayenta's bound, else 'Pass' (or 'Nodata'). */
export function classify(metric: MetricSeries): 'High' | 'Pass' | 'Nodata' {
  const sign = metric.higherIsWorse ? 1 : -1;
  const control = removeOutliers(metric.control.filter(Number.isFinite)).map((v) => sign * v);
  const experiment = removeOutliers(metric.experiment.filter(Number.isFinite)).map((v) => sign * v);
  if (control.length === 0 || experiment.length === 0) return 'Nodata';
  if (control.length === experiment.length && control.every((v, i) => v === experiment[i])) return 'Pass';
  const { lower, estimate } = hodgesLehmann(experiment, control, CONFIDENCE);
  return lower > FRACTION * Math.abs(estimate) ? 'High' : 'Pass';
}

/**
 * Hodges–Lehmann estimate of the shift (experiment − control) and its Mann–Whitney confidence
 * interval: order statistics of the m·n pairwise differences.
 */
export function hodgesLehmann(experiment: number[], control: number[], confidence: number): { lower: number; upper: number; estimate: number } {
  const differences: number[] = [];
  for (const x of experiment) for (const y of control) differences.push(x - y);
  differences.sort((a, b) => a - b);
  const mn = differences.length;
  const estimate = mn % 2 === 1 ? differences[(mn - 1) / 2]! : (differences[mn / 2 - 1]! + differences[mn / 2]!) / 2;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const m = experiment.length;
  const n = control.length;
  const k = Math.floor(mn / 2 - z * Math.sqrt((m * n * (m + n + 1)) / 12));
  if (k < 1) return { lower: -Infinity, upper: Infinity, estimate };
  return { lower: differences[k - 1]!, upper: differences[mn - k]!, estimate };
}

/** Apache Commons Math's default percentile (position p·(n+1)/100, interpolated). */
function percentile(sorted: number[], p: number): number {
  const n = sorted.length;
  const position = (p * (n + 1)) / 100;
  if (position < 1) return sorted[0]!;
  if (position >= n) return sorted[n - 1]!;
  const lower = Math.floor(position);
  return sorted[lower - 1]! + (position - lower) * (sorted[lower]! - sorted[lower - 1]!);
}

function removeOutliers(values: number[]): number[] {
  if (values.length === 0) return values;
  const sorted = [...values].sort((a, b) => a - b);
  const q1 = percentile(sorted, 25);
  const q3 = percentile(sorted, 75);
  const iqr = q3 - q1;
  const lowerFence = Math.min(percentile(sorted, 1), q1 - IQR_FACTOR * iqr);
  const upperFence = Math.max(percentile(sorted, 99), q3 + IQR_FACTOR * iqr);
  return values.filter((v) => v >= lowerFence && v <= upperFence);
}
