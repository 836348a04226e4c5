/**
 * An SQS canary's queue promotion bar, as Plan states it before the first shift: the bar the queue's
 * promotion test (src/core/judge/queue-promotion.ts) holds the final step to. With
 * ReportBatchItemFailures a candidate's failed messages are no Lambda errors and show only in the
 * queue's retry rate, so the forecast's bar on requests says nothing of them. Computed with the
 * function the judge calls (`plannedQueuePromotion`), on the plan's schedule and budget, so the bar
 * stated is the bar held.
 *
 * @example
 * const bar = queuePromotionBar({ stable: stableQueue(setup, baseline), reportBatchItemFailures: true }, strategy, settings, 0.01);
 * queueGuaranteeClause(bar); // "; and that it fails fewer than 1.18% of the messages it receives (the queue's retry rate; stable: 0.50%), …"
 */
import { formatRate } from './judge/check.ts';
import type { StableQueue } from './judge/queue-baseline.ts';
import { plannedQueuePromotion, queuePromotionApplies } from './judge/queue-promotion.ts';
import type { AnalysisSettings } from './judge/settings.ts';
import { formatMinutes, perMinute } from './plan-words.ts';
import { round } from './round.ts';
import type { Strategy } from './strategy.ts';

/** The queue's promotion bar as Plan states it, from the same function the judge holds the final step with. */
export interface QueuePromotionBar {
  /** The share of the messages it receives that the candidate must be shown to fail less often; null when the queue's test does not apply (`choice: "not-judged"`). */
  failureRate: number | null;
  /** The default bar on stable's retry rate (the errors' default, on messages), and whether the plan kept it or loosened it for the queue's traffic. */
  defaultFailureRate: number | null;
  choice: 'default' | 'loosened' | 'unreachable' | 'not-judged';
  /** Stable's retry rate before the shift (the baseline's, with the day before where it is thin); null without queue figures. */
  stableFailureRate: number | null;
  /** Messages the queue received a minute before the shift, both versions': the pace the bar is sized on. */
  messagesPerMinute: number;
  /** Minutes of the final step the bar is sized on; null without queue figures. */
  finalStepMinutes: number | null;
  /** With `choice: "not-judged"`: why, in plain words. */
  notJudged?: string;
}

/** What the queue's promotion test needs from before the shift, for the plan to state its bar. */
export interface QueueTestInput {
  /** Stable's queue before the shift (`stableQueue`); undefined when no queue figures came. */
  stable: StableQueue | undefined;
  reportBatchItemFailures: boolean;
}

/**
 * The queue's promotion bar for the plan's schedule (with steps) and budget: `plannedQueuePromotion`,
 * as the judge calls it at the final step (its weight, the planned level), so the bar stated is the bar held.
 */
export function queuePromotionBar(
  queue: QueueTestInput,
  strategy: Strategy,
  settings: Pick<AnalysisSettings, 'errorTolerance' | 'errorMargin' | 'maxDurationMinutes' | 'maxExtensionMinutes'>,
  alpha: number,
): QueuePromotionBar {
  if (!queue.stable) {
    return {
      failureRate: null,
      defaultFailureRate: null,
      choice: 'not-judged',
      stableFailureRate: null,
      messagesPerMinute: 0,
      finalStepMinutes: null,
      notJudged: "the queue's figures from before the shift could not be read, so the queue cannot be compared: no step passes, and the canary rolls back as inconclusive",
    };
  }
  const test = plannedQueuePromotion({ stable: queue.stable, settings, alpha, stepCount: strategy.steps.length, intervalMinutes: strategy.intervalMinutes, finalWeight: strategy.steps[strategy.steps.length - 1]! });
  const pace = { stableFailureRate: round(test.rate, 6), messagesPerMinute: round(test.messagesPerMinute, 2), finalStepMinutes: round(test.finalMinutes, 1) };
  if (!queuePromotionApplies(queue)) {
    return {
      failureRate: null,
      defaultFailureRate: null,
      choice: 'not-judged',
      ...pace,
      notJudged: 'without ReportBatchItemFailures a failed message fails its whole invocation, which the bar on requests already covers',
    };
  }
  const choice = !test.reachable ? 'unreachable' : test.bar > test.defaultBar ? 'loosened' : 'default';
  return { failureRate: round(test.bar, 6), defaultFailureRate: round(test.defaultBar, 6), choice, ...pace };
}

/** The guarantee's clause on the queue's bar: what the final step shows of the messages, or why it shows nothing of them. */
export function queueGuaranteeClause(queue: QueuePromotionBar): string {
  if (queue.failureRate === null) return `; the queue's retry rate holds the candidate to no bar of its own: ${queue.notJudged}`;
  const within = `within the final step's ${formatMinutes(queue.finalStepMinutes ?? 0)}`;
  const why =
    queue.choice === 'loosened'
      ? `, looser than the default ${formatRate(queue.defaultFailureRate ?? 0)}, which ${perMinute(queue.messagesPerMinute, 'message')} cannot show ${within}`
      : queue.choice === 'unreachable'
        ? ` — the loosest bar it states, which even candidates as good as stable may not show at ${perMinute(queue.messagesPerMinute, 'message')} ${within}`
        : '';
  return `; and that it fails fewer than ${formatRate(queue.failureRate)} of the messages it receives (the queue's retry rate; stable: ${formatRate(queue.stableFailureRate ?? 0)})${why}`;
}
