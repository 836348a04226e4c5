/**
 * The queue checks of an SQS-triggered canary: queue-wide trends against the baseline taken before
 * the first shift. SQS metrics are queue-wide, and a retried message may land on either version, so
 * these judge the queue as a whole, next to the per-version error and latency tests (which see
 * invocations, i.e. batches, by `ExecutedVersion`).
 *
 * - Retry rate, 1 − deleted/received. A partial batch failure is no Lambda error, so a candidate
 *   that fails some messages (and reports them with ReportBatchItemFailures) shows up here only.
 *   Tested sequentially (anytime-valid): failures ≈ Poisson(λ·received), where λ is the baseline's
 *   rate (pooled with the queue's day before when the baseline holds under 400 failures and agrees
 *   with it: `queueReferenceRate`) bounded from above at level α/2: "no worse than stable", as the errors test asks of
 *   requests (the bar's tolerance is for promotion, not rollback). The e-value is
 *   a mixture over θ > 1 of Π exp(F_t·ln θ − (θ−1)·λ_t·R_t); by Ville's inequality it reaches 2/α
 *   with probability ≤ α/2 however often Coalmine looks. Counts are divided by a dispersion factor
 *   (a returned batch fails all its messages at once without ReportBatchItemFailures; the baseline's
 *   own minute-to-minute spread) so that clumped failures are not read as evidence.
 *   The final step does not pass while the queue leans worse: the same e-value against the
 *   baseline's rate bounded at a milder 90%, at 2 or more (LEANING_WORSE_EVIDENCE). A partial batch
 *   failure is no Lambda error, so a candidate that fails messages shows nowhere else, and the
 *   per-version promotion test would promote it before the queue test had its verdict. Earlier
 *   steps pass while leaning: the queue's rate mixes both versions, so a higher weight shows a
 *   candidate's failures sooner for each message it fails.
 * - Promotion: the final step does not pass until the queue shows, at level α, that the candidate
 *   fails fewer than a bar of the messages it receives, its weight accounted for (queue-promotion.ts):
 *   the lean only holds while evidence of "worse" grows, so a queue that had seen too few messages to
 *   lean either way promoted what ran on it. Queues with ReportBatchItemFailures only (without it a
 *   failed message fails its invocation, and the errors' promotion test asks for that evidence).
 * - Returns that invocation errors explain are excused, of either version: an invocation that errors
 *   (a timeout, a throw, a failure without ReportBatchItemFailures) returns its whole batch, and load
 *   that hits both versions alike (a burst's full batches near the timeout) does that to both. Each
 *   error excuses up to a batch of the failures that surface within a retry cycle after it; stable's
 *   own errors are taken out of the baseline's rate at its average batch size
 *   (`withoutErrorReturns`), before `queueReferenceRate`. The per-version error tests judge the
 *   errors themselves; the queue judges the returns only it can show.
 * - Retry storm: a retry cycle (visibility timeout) in which a large share of received messages came
 *   back, no invocation error explaining them, rolls back at once.
 * - Backlog and age of the oldest message: roll back when, for `trendMinutes` minutes in a row,
 *   the queue holds far more than it ever did in the baseline and keeps growing while the consumers
 *   take fewer messages a minute than they did flat out in the baseline (its saturated minutes' mean,
 *   else its busiest minute), by more than the counts' noise; the age only while work waits. With a backlog
 *   they run flat out, so a burst (and its drain) finds them at full speed and is excused; consumers
 *   that take fewer messages than before with work waiting got slower. ApproximateAgeOfOldest-
 *   Message ignores messages received three or more times, so poison messages do not move it; a
 *   message failed once or twice is as old as its visibility timeouts and batching windows make it
 *   with consumers keeping up, so the age must also exceed that.
 * - DLQ growth: more dead letters since the canary began than the baseline's pace allows (twice its
 *   rate per message sent, bounded from above at α/2, plus noise and a small allowance in clumps of
 *   φ, plus the messages invocation errors returned) rolls back at once.
 * - Missing queue metrics, or no queue baseline, make the look inconclusive: never healthy.
 * - The event source mapping's own counts (when its MetricsConfig has EventCount) are reported in
 *   the figures: what this mapping polled, invoked, failed to invoke and deleted, free of other
 *   consumers of the queue. They decide nothing. FailedInvokeEventCount counts "any event with a
 *   non-empty BatchItemFailures in the response" (Lambda Developer Guide), which does not say
 *   whether a batch with one failed item counts one event or the whole batch, so it is no basis for
 *   the retry-rate test; and the counts that would mean lost messages (DroppedEventCount) are not
 *   published for SQS mappings. Counts missing while metrics are on are said in the figures and
 *   reasons and leave the look's phase alone: the queue's own figures are what is judged.
 *
 * @example
 * // src/core/judge/queue-checks.ts
 * export const queueChecks: JudgeCheck[] = [queueTrendCheck];
 */
import type { QueueMinute } from '../ports.ts';
import { poissonUpperBound, stableQueue, surfacedFailures } from './queue-baseline.ts';
import { plannedQueuePromotion, queuePromotionApplies, queuePromotionLogEvidence } from './queue-promotion.ts';
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';
import { formatCount, formatRate } from './check.ts';
import { LEANING_WORSE_EVIDENCE } from './error-rate.ts';
import { sure } from './wording.ts';
import type { Figures } from './types.ts';
import { round } from '../round.ts';

/** Limits of the queue checks. Sized on the SQS scenarios (docs/sqs.md), not on one run. */
export const QUEUE_CHECK_DEFAULTS = {
  /** Minutes in a row that the backlog (or the age of the oldest message) must grow before it rolls back. */
  trendMinutes: 5,
  /** …while consumers take fewer than this share of the messages a minute they took flat out in the baseline (and fewer by more than noise). */
  throughputShare: 0.9,
  /** Backlog "far above the baseline": above this many times the baseline's largest backlog… */
  backlogFactor: 2,
  /** …and above the baseline's largest backlog plus this share of a minute's arrivals. */
  backlogArrivalShare: 0.5,
  /** Age "far above the baseline": above this many times the baseline's oldest message… */
  ageFactor: 2,
  /** …and at least this many seconds older than it. */
  ageMarginSeconds: 120,
  /** Retry storm: a retry cycle in which this share of received messages came back unexplained by invocation errors (and at least 10 × the baseline's). */
  stormRetryRate: 0.2,
  stormBaselineMultiple: 10,
  /** Dead letters tolerated beyond the baseline's pace, in clumps of φ (a returned batch dead-letters together). */
  dlqAllowance: 2,
  /** The DLQ may grow up to this many times the baseline's pace. */
  dlqTolerance: 2,
} as const;

/** Alternatives θ (failure rate / the null's rate) of the retry-rate e-process, equally weighted. */
const THETAS: readonly number[] = [1.25, 1.5, 2, 3, 5, 10];
/**
 * The lean's bound on the baseline's retry rate: one-sided 90%. A healthy candidate's evidence then
 * drifts down unless the baseline underestimated the queue's rate by more than the bound allows.
 */
const LEAN_BOUND = 0.1;
/** What the queue checks carry from one look to the next (a few numbers). */
interface QueueMemory {
  /** Canary minutes with queue figures. */
  m: number;
  /** Σ failures / φ, and Σ λ_t·received_t / φ (expected failures under the null). */
  f: number;
  l: number;
  /** Σ λ̄·received_t / φ: expected failures had the queue kept the baseline's rate (a one-sided 90% upper bound λ̄), for the lean. */
  s: number;
  /** Σ received and Σ surfaced failures since the first look (for figures). */
  r: number;
  x: number;
  /** NotVisible at the end of the last minute seen, and that minute (ISO). */
  nv: number | null;
  nvAt: string | null;
  /** Dead letters since the canary began, and the DLQ depth last seen. */
  q: number;
  lastDlq: number | null;
  /** The last trendMinutes minutes: [received, visible, ageOfOldestSeconds]. */
  recent: [number, number, number][];
  /**
   * The last retry cycle's minutes, oldest first: [received, failures no invocation error explains,
   * messages the minute's invocation errors may still return]. An error's whole batch surfaces as
   * failures up to a visibility timeout later, so its excuse lasts a retry cycle.
   */
  cy: [number, number, number][];
  /** Failures excused since the first look: messages invocation errors returned. */
  e: number;
  /** Messages sent to the queue since the first look (the dead letters' pace is per message sent). */
  sn: number;
  /** The mapping's counts since the first look: polled, invoked, failedInvoke, deleted, filteredOut. */
  mc: [number, number, number, number, number];
  /** Queue minutes with the mapping's counts, and (metrics on) without them. */
  mm: number;
  mx: number;
  /** The promotion test's sums over the final step: [Σ failures / φ, Σ received / φ]. */
  pf: [number, number];
}

function readMemory(memory: unknown): QueueMemory {
  const value = (memory ?? {}) as Partial<QueueMemory>;
  const number = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return {
    m: number(value.m),
    f: number(value.f),
    l: number(value.l),
    // A memory written before the lean was kept has no `s`: the null's own sum is the safe stand-in.
    s: typeof value.s === 'number' && Number.isFinite(value.s) ? value.s : number(value.l),
    r: number(value.r),
    x: number(value.x),
    nv: typeof value.nv === 'number' ? value.nv : null,
    nvAt: typeof value.nvAt === 'string' ? value.nvAt : null,
    q: number(value.q),
    lastDlq: typeof value.lastDlq === 'number' ? value.lastDlq : null,
    recent: Array.isArray(value.recent) ? value.recent.filter((row): row is [number, number, number] => Array.isArray(row) && row.length === 3) : [],
    cy: Array.isArray(value.cy) ? value.cy.filter((row): row is [number, number, number] => Array.isArray(row) && row.length === 3) : [],
    e: number(value.e),
    sn: number(value.sn),
    mc: Array.isArray(value.mc) && value.mc.length === 5 ? (value.mc.map(number) as QueueMemory['mc']) : [0, 0, 0, 0, 0],
    mm: number(value.mm),
    mx: number(value.mx),
    pf: Array.isArray(value.pf) && value.pf.length === 2 ? [number(value.pf[0]), number(value.pf[1])] : [0, 0],
  };
}

/** ln of the mixture e-value for "failures at most the null's rate", from the sufficient sums. */
export function logRetryEvidence(failures: number, expectedUnderNull: number): number {
  const f = Math.max(0, failures);
  let max = -Infinity;
  const terms = THETAS.map((theta) => f * Math.log(theta) - (theta - 1) * expectedUnderNull);
  for (const term of terms) max = Math.max(max, term);
  const sum = terms.reduce((total, term) => total + Math.exp(term - max), 0);
  return max + Math.log(sum / THETAS.length);
}

/**
 * The queue-trend check, for `queueChecks` in queue-checks.ts. Reads `window.observations[].queue`,
 * `judge.baseline.queue` and `judge.context.queue` (the plan's queue; conservative defaults without).
 */
export const queueTrendCheck: JudgeCheck = {
  name: 'queue',
  alphaWeight: 2,
  applies: (input) => input.context.trigger === 'sqs',
  run(input: CheckInput): CheckResult {
    const { judge, window, alpha } = input;
    const limits = QUEUE_CHECK_DEFAULTS;
    const setup = judge.context.queue;
    const state = readMemory(input.memory);
    const batchSize = setup?.batchSize ?? 10;
    // Stable's queue before the shift: the baseline without its error returns, φ, and the reference rate.
    const stable = stableQueue(setup, judge.baseline);
    const reasons: { fail: string[]; inconclusive: string[]; pass: string[] } = { fail: [], inconclusive: [], pass: [] };
    /** What the failing reasons are about, so the summary does not say it twice. */
    const failed = new Set<'retry' | 'backlog' | 'age' | 'dlq'>();

    const present: { at: string; queue: QueueMinute; errors: number }[] = [];
    let missing = 0;
    for (const observation of window.observations) {
      if (observation.queue) present.push({ at: observation.minute, queue: observation.queue, errors: (observation.stable?.errors ?? 0) + (observation.candidate?.errors ?? 0) });
      else missing++;
    }
    const failedQueries = judge.window.failures.filter((failure) => /queue|sqs|dlq|message/i.test(failure.metric));
    if (missing > 0) reasons.inconclusive.push(`queue metrics missing for ${missing} of ${window.observations.length} minutes: Coalmine does not read missing queue metrics as healthy`);
    if (failedQueries.length > 0) reasons.inconclusive.push(`queue metrics could not be read (${failedQueries[0]!.message}): inconclusive, not healthy`);
    if (present.length === 0 && state.m === 0 && reasons.inconclusive.length === 0) reasons.inconclusive.push('no queue minutes have settled yet');
    if (!stable) {
      reasons.inconclusive.push('no queue baseline from before the first shift: retry rate, backlog and dead letters cannot be compared, so the queue is not judged healthy');
      return result(reasons, { queueBaselineMinutes: 0 }, state, 'no queue baseline from before the first shift: the queue cannot be compared');
    }

    const { baseline, phi, reference } = stable;
    // Retries surface one visibility timeout after a failure; a step must last a retry cycle to pass.
    const retryCycleMinutes = setup ? Math.ceil((setup.visibilityTimeoutSeconds + setup.batchingWindowSeconds) / 60) : 0;
    const baselineRate = reference.received > 0 ? reference.failures / reference.received : 0;
    const baselineUpper = reference.received > 0 ? Math.min(1, (poissonUpperBound(reference.failures / phi, alpha / 2) * phi) / reference.received) : 1;
    // The null is "no worse than stable" (the baseline's rate, bounded from above), as the errors
    // test's is for requests: the bar's tolerance belongs to promotion, not to rollback.
    const nullRate = baselineUpper;
    // The lean only holds a step, so it may use a milder bound on the baseline's rate than the test.
    const leanRate = reference.received > 0 ? Math.min(1, (poissonUpperBound(reference.failures / phi, LEAN_BOUND) * phi) / reference.received) : 1;
    const withHistory = reference.historyHours > 0 ? ` (with the ${reference.historyHours} hours before the baseline)` : '';
    const before = `before the shift${withHistory}`;

    let windowReceived = 0;
    let windowFailures = 0;
    let previousDlq = state.lastDlq ?? baseline.lastDlq;
    for (const { at, queue: minute, errors } of present) {
      // NotVisible corrects received − deleted only across consecutive minutes: the first minute
      // (and the first after a gap) just gives the starting point.
      const follows = state.nvAt !== null && Date.parse(at) - Date.parse(state.nvAt) === 60_000;
      const previousNotVisible = follows && state.nv !== null ? state.nv : undefined;
      const countable = minute.notVisible === undefined || previousNotVisible !== undefined;
      state.nv = minute.notVisible ?? null;
      state.nvAt = at;
      // Each invocation error (either version's) may return up to a batch, surfacing within a retry
      // cycle: those returns are load that hits both versions alike (a burst's full batches near the
      // timeout), and the per-version error tests judge the errors themselves.
      state.cy.push([0, 0, errors * batchSize]);
      if (state.cy.length > Math.max(1, retryCycleMinutes) + 1) state.cy.shift();
      if (countable) {
        const surfaced = surfacedFailures(minute, previousNotVisible);
        let excused = 0;
        for (const entry of state.cy) {
          const take = Math.min(entry[2], Math.max(0, surfaced) - excused);
          entry[2] -= take;
          excused += take;
        }
        const failures = surfaced - excused;
        state.e += excused;
        state.cy.at(-1)![0] = minute.received;
        state.cy.at(-1)![1] = failures;
        windowReceived += minute.received;
        windowFailures += failures;
        state.f += failures / phi;
        state.l += (nullRate * minute.received) / phi;
        state.s += (leanRate * minute.received) / phi;
        if (judge.context.isFinalStep) {
          state.pf[0] += failures / phi;
          state.pf[1] += minute.received / phi;
        }
      }
      state.m++;
      state.sn += minute.sent;
      state.q += Math.max(0, minute.dlqVisible - previousDlq);
      previousDlq = minute.dlqVisible;
      state.recent.push([minute.received, minute.visible, minute.ageOfOldestSeconds]);
      if (state.recent.length > limits.trendMinutes) state.recent.shift();
      if (minute.mapping) {
        const { polled, invoked, failedInvoke, deleted, filteredOut } = minute.mapping;
        state.mc = [state.mc[0] + polled, state.mc[1] + invoked, state.mc[2] + failedInvoke, state.mc[3] + deleted, state.mc[4] + filteredOut];
        state.mm++;
      } else if (setup?.metricsEnabled) {
        state.mx++;
      }
    }
    if (present.length > 0) state.lastDlq = previousDlq;
    state.r += windowReceived;
    state.x += windowFailures;

    // Retry rate: sequential test against the null rate.
    const logEvidence = logRetryEvidence(state.f, state.l);
    const threshold = Math.log(2 / alpha);
    const canaryRate = state.r > 0 ? Math.max(0, state.x) / state.r : 0;
    if (logEvidence >= threshold) {
      failed.add('retry');
      reasons.fail.push(
        `queue: messages fail more often since the candidate took traffic: retry rate ${formatRate(canaryRate)} (${formatCount(Math.max(0, state.x))} of ${formatCount(state.r)} received came back) ` +
          `vs ${formatRate(baselineRate)} ${before}; more than the ${formatRate(nullRate)} a candidate no worse would show, ${sure(judge.settings.alpha)}`,
      );
    }
    // Retry storm, over the last retry cycle: a failure surfaces up to a visibility timeout after it.
    const cycleReceived = state.cy.reduce((sum, [received]) => sum + received, 0);
    const cycleFailures = Math.max(0, state.cy.reduce((sum, [, failures]) => sum + failures, 0));
    const cycleRate = cycleReceived > 0 ? cycleFailures / cycleReceived : 0;
    const stormRate = Math.max(limits.stormRetryRate, limits.stormBaselineMultiple * baselineUpper);
    if (cycleRate >= stormRate && cycleFailures / phi >= 10) {
      failed.add('retry');
      reasons.fail.push(`queue: retry storm: ${formatRate(cycleRate)} of the ${formatCount(cycleReceived)} messages received in the last retry cycle came back with no invocation error to explain them (limit ${formatRate(stormRate)})`);
    }

    // The lean: messages come back more often than the baseline's rate allows at all (no allowance
    // for the candidate's weight). Short of a verdict, it holds the step, as the errors test holds a
    // request canary's: a partial batch failure is no Lambda error, so without this the per-version
    // tests would promote a candidate that fails messages the queue test has not yet proved.
    const leanEvidence = logRetryEvidence(state.f, state.s);
    if (reasons.fail.length === 0 && judge.context.isFinalStep && leanEvidence >= Math.log(LEANING_WORSE_EVIDENCE)) {
      reasons.inconclusive.push(
        `queue: the candidate leans worse: messages come back more often than before the shift (retry rate ${formatRate(canaryRate)} since the first shift vs ${formatRate(baselineRate)}${withHistory}), short of a verdict; holding this weight until that settles`,
      );
    }

    // Promotion: the queue must show the candidate fails fewer messages than the bar, its share of the
    // queue accounted for (queue-promotion.ts). The errors' promotion test cannot: a message failed
    // and reported is no Lambda error. The bar is sized for the messages the final step brings, from
    // pre-shift figures and the plan only: the one Plan stated in its forecast (queue-promotion.ts).
    const promotion = plannedQueuePromotion({
      stable,
      settings: judge.settings,
      alpha: judge.context.promotion?.alpha ?? judge.settings.alpha,
      stepCount: judge.context.stepCount,
      intervalMinutes: judge.context.intervalMinutes ?? 0,
      finalWeight: judge.context.weight,
    });
    const promotionEvidence = queuePromotionLogEvidence(promotion, judge.context.weight, state.pf[0], state.pf[1]);
    const loosened = promotion.bar > promotion.defaultBar ? `, loosened from ${formatRate(promotion.defaultBar)} for the queue's traffic` : '';
    const judgesPromotion = queuePromotionApplies(setup);
    if (reasons.fail.length === 0 && judge.context.isFinalStep && judgesPromotion && promotionEvidence < Math.log(2 / promotion.alpha)) {
      reasons.inconclusive.push(
        `queue: not yet ${sure(promotion.alpha)} that the candidate fails under ${formatRate(promotion.bar)} of the messages it receives (the bar on stable's ${formatRate(promotion.rate)}${loosened}), its share of the queue accounted for; holding the final weight`,
      );
    }

    // Backlog and age: sustained growth beyond anything the baseline saw, at normal arrivals.
    const recent = state.recent;
    // With a backlog, consumers run flat out: if they take fewer messages a minute than they did
    // flat out in the baseline, they got slower. A burst (or its drain) finds them at full speed. The
    // minutes' counts are noisy (Poisson, roughly): a shortfall counts beyond three standard errors
    // of the two means, so that a quiet queue's few messages a minute are not read as a slowdown.
    const meanReceived = recent.reduce((sum, [received]) => sum + received, 0) / Math.max(1, recent.length);
    const capacity = baseline.capacity;
    const noise = 3 * Math.sqrt(capacity * (1 / Math.max(1, recent.length) + (baseline.capacityMinutes > 0 ? 1 / baseline.capacityMinutes : 0)));
    const consumersSlower = meanReceived < Math.min(limits.throughputShare * capacity, capacity - noise);
    const backlogLimit = Math.max(limits.backlogFactor * baseline.maxVisible, baseline.maxVisible + limits.backlogArrivalShare * baseline.meanSent, 2 * (setup?.batchSize ?? 10));
    // A message that failed once or twice is older than anything consumers keeping up would leave
    // waiting: each receive waits out the batching window, each failure a visibility timeout. The age
    // counts it until its third receive, and the baseline's fifteen minutes may have shown none.
    const retriedAgeSeconds = setup ? 3 * setup.batchingWindowSeconds + 2 * setup.visibilityTimeoutSeconds : 0;
    const ageLimit = Math.max(limits.ageFactor * baseline.maxAgeSeconds, Math.max(baseline.maxAgeSeconds, retriedAgeSeconds) + limits.ageMarginSeconds);
    if (recent.length >= limits.trendMinutes && consumersSlower) {
      const first = recent[0]!;
      const last = recent[recent.length - 1]!;
      if (recent.every(([, visible]) => visible > backlogLimit) && last[1] > first[1]) {
        failed.add('backlog');
        reasons.fail.push(
          `queue: the backlog grew for ${recent.length} minutes to ${formatCount(last[1])} visible messages (at most ${formatCount(baseline.maxVisible)} before the shift) while consumers took ${formatCount(meanReceived)} a minute, fewer than the ${formatCount(capacity)} they took before: they fell behind`,
        );
      }
      // The age also counts messages in flight and retries waiting out their visibility timeout: it
      // says the consumers fell behind only while work waited for them.
      if (recent.every(([, visible, age]) => age > ageLimit && visible > 0) && last[2] > first[2]) {
        failed.add('age');
        reasons.fail.push(
          `queue: the oldest message aged for ${recent.length} minutes to ${formatCount(last[2])} s (at most ${formatCount(baseline.maxAgeSeconds)} s before the shift) while consumers took ${formatCount(meanReceived)} messages a minute, fewer than the ${formatCount(capacity)} they took before`,
        );
      }
    }

    // Dead letters: beyond the baseline's pace (twice it, plus noise), a small allowance, and the
    // messages invocation errors returned (either version's; the per-version tests judge those).
    // Dead letters clump as failures do (a returned batch is received, and dead-lettered, together):
    // noise and allowance are counted in clumps of φ.
    // The pace is per message sent (a burst brings its dead letters with it), and the baseline's
    // few dead letters bound it from above at α/2, as its failures bound the retry rate: fifteen
    // minutes may show none of a pace that brings several an hour.
    const baselineSent = baseline.meanSent * baseline.minutes;
    const dlqPace = baselineSent > 0 ? (poissonUpperBound(baseline.dlqGrowth / phi, alpha / 2) * phi) / baselineSent : 0;
    const dlqExpected = limits.dlqTolerance * dlqPace * state.sn;
    const dlqAllowed = Math.ceil(dlqExpected + 3 * Math.sqrt(phi * dlqExpected) + phi * limits.dlqAllowance + state.e);
    if (state.q > dlqAllowed) {
      failed.add('dlq');
      reasons.fail.push(`queue: ${formatCount(state.q)} messages reached the DLQ since the canary began; the baseline's pace allows ${formatCount(dlqAllowed)}`);
    }

    if (reasons.fail.length === 0 && judge.context.minutesInStep < retryCycleMinutes) {
      reasons.inconclusive.push(`queue: retries take ${retryCycleMinutes} min to surface (visibility timeout ${setup!.visibilityTimeoutSeconds} s); not judged healthy before`);
    }
    const mapping = mappingReport(state, setup?.metricsEnabled === true);
    if (reasons.fail.length === 0 && reasons.inconclusive.length === 0) {
      reasons.pass.push(
        `no queue regression found: retry rate ${formatRate(canaryRate)} vs ${formatRate(baselineRate)} ${before} (rolls back when shown above ${formatRate(nullRate)}); ` +
          `${formatCount(recent.at(-1)?.[1] ?? 0)} visible, oldest ${formatCount(recent.at(-1)?.[2] ?? 0)} s, ${formatCount(state.q)} new dead letters` +
          (mapping.sentence ? `; ${mapping.sentence}` : ''),
      );
    }

    const figures: Figures = {
      queueRetryRate: round(canaryRate, 5),
      queueBaselineRetryRate: round(baselineRate, 5),
      queueRetryNullRate: round(nullRate, 5),
      queueRetryEvidence: round(Math.exp(logEvidence), 3),
      queueLeanEvidence: round(Math.exp(Math.min(leanEvidence, 700)), 3),
      queuePromotionBar: judge.context.isFinalStep && judgesPromotion ? round(promotion.bar, 5) : null,
      queuePromotionEvidence: round(Math.exp(Math.max(-700, Math.min(promotionEvidence, 700))), 3),
      queueVisible: recent.at(-1)?.[1] ?? null,
      queueAgeOfOldestSeconds: recent.at(-1)?.[2] ?? null,
      queueBacklogLimit: Math.round(backlogLimit),
      queueErrorReturns: round(state.e, 0),
      queueDeadLetters: state.q,
      queueDeadLettersAllowed: dlqAllowed,
      queueBaselineMinutes: baseline.minutes,
      queueBaselineHistoryHours: reference.historyHours,
      ...mapping.figures,
    };
    const seen = [
      failed.has('retry') ? undefined : `retry rate ${formatRate(canaryRate)} since the first shift vs ${formatRate(baselineRate)} ${before} (rolls back once shown above ${formatRate(nullRate)})`,
      failed.has('backlog') ? undefined : `backlog ${formatCount(recent.at(-1)?.[1] ?? 0)} (limit ${formatCount(backlogLimit)})`,
      failed.has('age') ? undefined : `oldest message ${formatCount(recent.at(-1)?.[2] ?? 0)} s (limit ${formatCount(ageLimit)} s)`,
      failed.has('dlq') ? undefined : `${formatCount(state.q)} new dead letters (${formatCount(dlqAllowed)} allowed)`,
    ].filter((part): part is string => part !== undefined);
    return result(reasons, figures, state, seen.join('; '));
  },
};

/**
 * The mapping's counts since the first look, for the figures and one clause of the pass reason.
 * Nothing when the mapping publishes no counts and none came.
 */
function mappingReport(state: QueueMemory, metricsEnabled: boolean): { figures: Figures; sentence?: string } {
  if (!metricsEnabled && state.mm === 0) return { figures: {} };
  const [polled, invoked, failedInvoke, deleted, filteredOut] = state.mc;
  const figures: Figures = {
    mappingPolled: polled,
    mappingInvoked: invoked,
    mappingFailedInvoke: failedInvoke,
    mappingFailedInvokeRate: invoked > 0 ? round(failedInvoke / invoked, 5) : null,
    mappingDeleted: deleted,
    mappingFilteredOut: filteredOut,
    mappingMinutes: state.mm,
    mappingMinutesMissing: state.mx,
  };
  const missing = state.mx > 0 ? `the mapping's own event counts are missing for ${formatCount(state.mx)} of ${formatCount(state.mm + state.mx)} minutes (reported only, not judged)` : undefined;
  const counts =
    state.mm > 0
      ? `the mapping invoked ${formatCount(invoked)} events, ${formatCount(failedInvoke)} failed or came back as batch item failures (${formatRate(invoked > 0 ? failedInvoke / invoked : 0)}), ${formatCount(deleted)} deleted`
      : undefined;
  const sentence = [counts, missing].filter((part): part is string => part !== undefined).join('; ');
  return sentence ? { figures, sentence } : { figures };
}

/**
 * The check's result. Its summary always says what the queue shows (retry rate, backlog, age, dead
 * letters), so a queue rollback has a visible cause at every look before it: after what decided.
 */
function result(reasons: { fail: string[]; inconclusive: string[]; pass: string[] }, figures: Figures, state: QueueMemory, seen: string): CheckResult {
  const phase = reasons.fail.length > 0 ? 'fail' : reasons.inconclusive.length > 0 ? 'inconclusive' : 'pass';
  const memory: QueueMemory = { ...state, f: round(state.f, 3), l: round(state.l, 3), s: round(state.s, 3), x: round(state.x, 3), pf: [round(state.pf[0], 3), round(state.pf[1], 3)] };
  const lead = phase === 'fail' ? `${reasons.fail[0]!.replace(/^queue: /, '')}: roll back` : phase === 'inconclusive' ? reasons.inconclusive[0]!.replace(/^queue: /, '') : undefined;
  return {
    phase,
    reasons: [...reasons.fail, ...reasons.inconclusive, ...(phase === 'pass' ? reasons.pass : [])],
    summary: lead && seen ? `${lead} — ${seen}` : (lead ?? seen),
    figures,
    memory,
  };
}
