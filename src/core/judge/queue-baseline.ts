/**
 * The queue's past as the queue checks (queue.ts) read it: the baseline's minutes summed, the day
 * before summed, stable's retry rate from both, and the failures a minute's figures show.
 */
import type { Baseline, HourlyQueueTraffic, QueueHistorySummary, QueueMinute } from '../ports.ts';
import type { QueueJudgeSetup } from './types.ts';

/** Baseline minutes needed to estimate the failures' dispersion. */
const MIN_MINUTES_FOR_DISPERSION = 5;
/**
 * Below this many failures in the baseline (a relative precision of 5%) its retry rate also draws on
 * the queue's day before, as stable's error rate does for a request canary's plan (src/core/forecast.ts).
 */
export const THIN_QUEUE_BASELINE_FAILURES = 400;
/**
 * The day is left out when the baseline shows more failures than its rate makes this unlikely: the
 * queue fails more now than it did through the day, and the baseline alone speaks for now.
 */
const HISTORY_CONSISTENCY_LEVEL = 0.01;

/** The baseline's queue figures, summarised once. */
export interface QueueBaselineSummary {
  minutes: number;
  /** Received over the minutes whose failures are counted, and how many minutes those are. */
  received: number;
  receivedMinutes: number;
  /** Messages that came back after a receive (see `surfacedFailures`), floored at 0. */
  failures: number;
  meanSent: number;
  maxSent: number;
  /** The most messages the consumers received in one baseline minute: throughput they have shown. */
  maxReceived: number;
  /**
   * What the consumers take a minute when they run flat out: the mean received over the baseline's
   * saturated minutes (a full batch still waiting at the minute's end), else `maxReceived`.
   */
  capacity: number;
  /** Saturated minutes behind `capacity` (0: it is `maxReceived`). */
  capacityMinutes: number;
  maxVisible: number;
  maxAgeSeconds: number;
  /** Dead letters that arrived during the baseline (sum of the DLQ depth's rises). */
  dlqGrowth: number;
  /** DLQ depth at the baseline's last minute. */
  lastDlq: number;
  /** Variance / mean of the minutes' failures given their receives (1 for Poisson). */
  dispersion: number;
  /** ApproximateNumberOfMessagesNotVisible at the baseline's last minute, when known. */
  lastNotVisible?: number;
}

/**
 * Messages received in a minute that came back instead of being deleted. Received − deleted counts
 * batches still running at the minute's end as failures (a burst fills the pollers, and its batches
 * would read as a retry storm); with ApproximateNumberOfMessagesNotVisible at both ends, what is
 * still in flight is left out: it counts once it is visible again (at most a visibility timeout
 * later) or not at all when it is deleted.
 *
 * @example
 * surfacedFailures({ received: 600, deleted: 560, notVisible: 40 }, 0); // 0: the 40 are still running
 */
export function surfacedFailures(minute: Pick<QueueMinute, 'received' | 'deleted' | 'notVisible'>, previousNotVisible: number | undefined): number {
  const inFlightChange = minute.notVisible !== undefined && previousNotVisible !== undefined ? minute.notVisible - previousNotVisible : 0;
  return minute.received - minute.deleted - inFlightChange;
}

/**
 * Sums the baseline's queue minutes (missing minutes are skipped).
 *
 * @example
 * summariseQueueBaseline(baseline.queue ?? []).failures / summary.received; // the baseline's retry rate
 */
export function summariseQueueBaseline(minutes: readonly (QueueMinute | null | undefined)[], batchSize = 10): QueueBaselineSummary | undefined {
  const present = minutes.filter((minute): minute is QueueMinute => minute !== null && minute !== undefined);
  if (present.length === 0) return undefined;
  let received = 0;
  let failures = 0;
  let sent = 0;
  let maxSent = 0;
  let maxReceived = 0;
  let maxVisible = 0;
  let maxAgeSeconds = 0;
  let dlqGrowth = 0;
  let saturatedReceived = 0;
  let saturatedMinutes = 0;
  // With NotVisible, the first minute only gives the starting point: its in-flight change is unknown.
  const counted = present[0]!.notVisible !== undefined && present.length > 1 ? present.slice(1) : present;
  const perMinute: { received: number; failures: number }[] = [];
  for (let i = 0; i < present.length; i++) {
    const minute = present[i]!;
    if (counted.includes(minute)) {
      const failed = surfacedFailures(minute, present[i - 1]?.notVisible);
      perMinute.push({ received: minute.received, failures: failed });
      received += minute.received;
      failures += failed;
    }
    sent += minute.sent;
    maxSent = Math.max(maxSent, minute.sent);
    maxReceived = Math.max(maxReceived, minute.received);
    if (minute.visible >= batchSize) {
      saturatedReceived += minute.received;
      saturatedMinutes++;
    }
    maxVisible = Math.max(maxVisible, minute.visible);
    maxAgeSeconds = Math.max(maxAgeSeconds, minute.ageOfOldestSeconds);
    if (i > 0) dlqGrowth += Math.max(0, minute.dlqVisible - present[i - 1]!.dlqVisible);
  }
  failures = Math.max(0, failures);
  const rate = received > 0 ? failures / received : 0;
  let dispersion = 1;
  if (perMinute.length >= MIN_MINUTES_FOR_DISPERSION && rate > 0) {
    let chi = 0;
    for (const minute of perMinute) {
      const expected = rate * minute.received;
      if (expected > 0) chi += (minute.failures - expected) ** 2 / expected;
    }
    // Only overdispersion the baseline shows beyond chance (χ² above its 99th percentile, roughly)
    // counts: a dispersion read off noise would only blunt the test.
    const degrees = perMinute.length - 1;
    const ratio = chi / degrees;
    if (ratio > 1 + 2.33 * Math.sqrt(2 / degrees)) dispersion = ratio;
  }
  const last = present[present.length - 1]!;
  return {
    minutes: present.length,
    received,
    receivedMinutes: counted.length,
    failures,
    meanSent: sent / present.length,
    maxSent,
    maxReceived,
    capacity: saturatedMinutes > 0 ? saturatedReceived / saturatedMinutes : maxReceived,
    capacityMinutes: saturatedMinutes,
    maxVisible,
    maxAgeSeconds,
    dlqGrowth,
    lastDlq: last.dlqVisible,
    dispersion,
    ...(last.notVisible === undefined ? {} : { lastNotVisible: last.notVisible }),
  };
}

/**
 * Sums the queue's hours before the baseline. Over hours, what is still in flight at either end is
 * a few batches against a day's receives, so received − deleted is what came back.
 *
 * @example
 * summariseQueueHistory([{ start: '2026-01-01T00:00:00Z', received: 310, deleted: 300 }]); // { hours: 1, received: 310, failures: 10 }
 */
export function summariseQueueHistory(hours: readonly Pick<HourlyQueueTraffic, 'received' | 'deleted'>[]): QueueHistorySummary | undefined {
  const valid = hours.filter((hour) => hour.received >= 0 && hour.deleted >= 0);
  if (valid.length === 0) return undefined;
  const received = valid.reduce((sum, hour) => sum + hour.received, 0);
  const deleted = valid.reduce((sum, hour) => sum + hour.deleted, 0);
  return { hours: valid.length, received, failures: Math.max(0, received - deleted) };
}

/**
 * The baseline without the messages stable's own invocation errors returned, at its average batch
 * size. An invocation that errors (a timeout, a throw, a failed message without
 * ReportBatchItemFailures) returns its whole batch; the canary's looks excuse such returns, of either
 * version (see `queueTrendCheck`), so stable's rate must leave them out too: the test then compares
 * the returns no invocation error explains, the ones only the queue can show.
 *
 * @example
 * withoutErrorReturns(summary, { invocations: 900, errors: 9 }).failures; // summary.failures − 9 × summary.received / 900
 */
export function withoutErrorReturns(summary: QueueBaselineSummary, versions: { invocations: number; errors: number }): QueueBaselineSummary {
  if (versions.errors <= 0 || versions.invocations <= 0) return summary;
  const returned = versions.errors * (summary.received / versions.invocations);
  return { ...summary, failures: Math.max(0, summary.failures - returned) };
}

/** Whether the baseline holds too few failures to bound the retry rate well: Plan then adds the day before. */
export function queueBaselineIsThin(baseline: Pick<QueueBaselineSummary, 'failures'>): boolean {
  return baseline.failures < THIN_QUEUE_BASELINE_FAILURES;
}

/**
 * The retry rate stable's queue is judged against: the baseline's, pooled with the day before when
 * the baseline is thin and agrees with it (counts in units of φ, the failures' clumping). A quiet
 * queue's 15 minutes hold a handful of failures, so its bound alone would let a candidate fail many
 * times stable's rate before anything showed.
 */
export function queueReferenceRate(baseline: QueueBaselineSummary, history: QueueHistorySummary | undefined, phi: number): { received: number; failures: number; historyHours: number } {
  const alone = { received: baseline.received, failures: baseline.failures, historyHours: 0 };
  if (!history || history.received <= 0 || !queueBaselineIsThin(baseline)) return alone;
  const expected = (history.failures / history.received) * baseline.received;
  if (poissonUpperTail(baseline.failures / phi, expected / phi) < HISTORY_CONSISTENCY_LEVEL) return alone;
  return { received: baseline.received + history.received, failures: baseline.failures + history.failures, historyHours: history.hours };
}

/** P(X ≥ k) for X ~ Poisson(μ), k rounded down (summed in log space; k here is at most a few hundred). */
export function poissonUpperTail(k: number, mu: number): number {
  const n = Math.floor(k);
  if (n <= 0) return 1;
  if (mu <= 0) return 0;
  let logTerm = -mu;
  let below = Math.exp(logTerm);
  for (let i = 1; i < n; i++) {
    logTerm += Math.log(mu / i);
    below += Math.exp(logTerm);
  }
  return Math.max(0, 1 - below);
}

/**
 * Upper confidence bound on a Poisson mean at level δ, from x events (Wilson–Hilferty, accurate to
 * a few percent from x = 0 up).
 */
export function poissonUpperBound(x: number, delta: number): number {
  const z = normalQuantileUpper(delta);
  const k = x + 1;
  return k * (1 - 1 / (9 * k) + z / (3 * Math.sqrt(k))) ** 3;
}

/** z with P(Z > z) = δ, for the small δ used here (Abramowitz–Stegun 26.2.23, |error| < 4.5e-4). */
function normalQuantileUpper(delta: number): number {
  const p = Math.min(0.5, Math.max(1e-300, delta));
  const t = Math.sqrt(-2 * Math.log(p));
  return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}

/**
 * Lower confidence bound on a Poisson mean at level δ, from x events (Wilson–Hilferty; 0 without events).
 */
export function poissonLowerBound(x: number, delta: number): number {
  if (x <= 0) return 0;
  const z = normalQuantileUpper(delta);
  return Math.max(0, x * (1 - 1 / (9 * x) - z / (3 * Math.sqrt(x))) ** 3);
}

/** Stable's queue as the queue checks judge against it, from pre-shift figures only (`stableQueue`). */
export interface StableQueue {
  /** The baseline's minutes summed, the returns of stable's own invocation errors taken out. */
  baseline: QueueBaselineSummary;
  /** The failures' clumping: counts are divided by it. */
  phi: number;
  /** Stable's failures and received: the baseline's, with the day before where it is thin (`queueReferenceRate`). */
  reference: { received: number; failures: number; historyHours: number };
}

/**
 * Stable's queue from the plan's baseline and queue setup: what the queue checks judge every look
 * against, and what Plan states the queue's promotion bar from. Undefined when the baseline shows no
 * messages. Without the queue's setup, the checks' conservative defaults (batches of 10, whole-batch returns).
 *
 * Dispersion φ: a returned batch returns all its messages at once without ReportBatchItemFailures. A
 * poison message fails every receive until it dead-letters: maxReceiveCount failures of one message,
 * not independent ones. The baseline's dead letters say what share s of its failures such messages
 * make (each dead letter is k of them), and a mix of single failures and clumps of k has variance
 * (1 − s) + s·k times its mean: minute-to-minute spread does not show it, as the clump spreads over
 * k visibility timeouts.
 */
export function stableQueue(
  setup: Pick<QueueJudgeSetup, 'batchSize' | 'reportBatchItemFailures' | 'maxReceiveCount'> | undefined,
  figures: Pick<Baseline, 'queue' | 'queueHistory' | 'invocations' | 'errors'>,
): StableQueue | undefined {
  const batchSize = setup?.batchSize ?? 10;
  const measured = summariseQueueBaseline(figures.queue ?? [], batchSize);
  if (!measured) return undefined;
  const baseline = withoutErrorReturns(measured, figures);
  const batchClump = setup ? (setup.reportBatchItemFailures ? 1 : setup.batchSize) : 10;
  const receives = setup?.maxReceiveCount ?? 1;
  const poisonShare = baseline.failures > 0 ? Math.min(1, (baseline.dlqGrowth * receives) / baseline.failures) : 0;
  const phi = Math.max(1, Math.min(batchSize, Math.max(batchClump, baseline.dispersion)), 1 + poisonShare * (receives - 1));
  return { baseline, phi, reference: queueReferenceRate(baseline, figures.queueHistory, phi) };
}
