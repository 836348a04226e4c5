import { describe, expect, it } from 'vitest';
import { estimateTraffic, planCanary } from '../../src/core/forecast.ts';
import type { QueueTestInput } from '../../src/core/queue-forecast.ts';
import { summariseWindow } from '../../src/core/judge/check.ts';
import { analysisSchema, type QueueJudgeSetup } from '../../src/core/judge/index.ts';
import { queueTrendCheck } from '../../src/core/judge/queue.ts';
import { stableQueue } from '../../src/core/judge/queue-baseline.ts';
import { planWithinLimits, type LimitedPlanning } from '../../src/core/planning.ts';
import type { Baseline, QueueMinute } from '../../src/core/ports.ts';
import { parseStrategy } from '../../src/core/strategy.ts';
import { queueMinute } from '../helpers/factories.ts';
import { baseline, observation, SETUP } from '../helpers/queue-looks.ts';

// An SQS canary's plan states, before the first shift, the bar the queue's promotion test holds the
// final step to (src/core/judge/queue-promotion.ts): the bar the judge holds, in plain words.

const QUEUE = { visibilityTimeoutSeconds: SETUP.visibilityTimeoutSeconds, batchingWindowSeconds: SETUP.batchingWindowSeconds, queueName: 'orders' };

/** Plan's plan for an SQS canary on this baseline (600 messages a minute, 0.5% failing, by default), as Plan makes it. */
function planQueue(figures: Baseline = baseline(), setup: QueueJudgeSetup = SETUP): LimitedPlanning {
  return planWithinLimits({
    traffic: estimateTraffic(figures),
    named: undefined,
    settings: analysisSchema.parse({}),
    queue: QUEUE,
    queueTest: { stable: stableQueue(setup, figures), reportBatchItemFailures: setup.reportBatchItemFailures },
  });
}

/** The queue check's figures at the final step's first look, under the plan (as Evaluate passes it to the judge). */
function finalLook({ planning, analysis }: LimitedPlanning, figures: Baseline, setup: QueueJudgeSetup = SETUP) {
  const { steps, intervalMinutes } = planning.strategy;
  const judge = {
    memory: undefined,
    window: { minutes: [observation(0, queueMinute())], failures: [] },
    baseline: figures,
    context: { trigger: 'sqs' as const, stepIndex: steps.length - 1, stepCount: steps.length, weight: steps.at(-1)!, isFinalStep: true, minutesInStep: 1, intervalMinutes, queue: setup, promotion: planning.promotion },
    settings: analysis,
  };
  return queueTrendCheck.run({ judge, window: summariseWindow(judge.window.minutes, judge.context.weight), look: 1, alpha: 0.002, memory: undefined });
}

/** Fifteen baseline minutes of a quiet queue: 10 messages a minute, one of the 150 failed. */
function quietBaseline(): Baseline {
  const minutes: QueueMinute[] = Array.from({ length: 15 }, () => queueMinute({ sent: 10, received: 10, deleted: 10, notVisible: 0 }));
  minutes[3] = queueMinute({ sent: 10, received: 10, deleted: 9, notVisible: 0 });
  return { ...baseline(minutes), invocations: 150 };
}

describe('the queue’s promotion bar in an SQS canary’s forecast', () => {
  it('is stated before the first shift, and is the bar the judge holds the final step to', () => {
    const figures = baseline();
    const planned = planQueue(figures);
    const bar = planned.planning.forecast.queuePromotionBar!;

    expect(bar).toMatchObject({ choice: 'loosened', stableFailureRate: 0.004975, messagesPerMinute: 603 });
    expect(bar.failureRate).toBeGreaterThan(bar.defaultFailureRate!);
    expect(finalLook(planned, figures).figures['queuePromotionBar']).toBeCloseTo(bar.failureRate!, 4);
  });

  it('says in the guarantee that the candidate must be shown to fail fewer messages than the bar, and in the summary', () => {
    const { forecast } = planQueue().planning;
    const bar = forecast.queuePromotionBar!;

    expect(forecast.guarantee).toMatch(/; and that it fails fewer than \d\.\d\d% of the messages it receives \(the queue's retry rate; stable: 0\.50%\), looser than the default 1\.00%, which ~603 messages a minute cannot show within the final step's \d+ minutes\.$/);
    expect(forecast.guarantee).toContain(`fewer than ${(bar.failureRate! * 100).toFixed(2)}% of the messages`);
    expect(forecast.summary).toContain(`and its share of failed messages below ${(bar.failureRate! * 100).toFixed(2)}%`);
  });

  it('says how far a quiet queue’s bar is loosened, and why: what its messages a minute can show in the final step', () => {
    const figures = quietBaseline();
    const planned = planQueue(figures);
    const bar = planned.planning.forecast.queuePromotionBar!;

    expect(bar.choice).toBe('loosened');
    expect(bar.failureRate).toBeGreaterThan(0.05);
    expect(planned.planning.forecast.guarantee).toMatch(/looser than the default [\d.]+%, which ~10 messages a minute cannot show within the final step's \d+ minutes\.$/);
    expect(finalLook(planned, figures).figures['queuePromotionBar']).toBeCloseTo(bar.failureRate!, 4);
  });

  it('states the loosest bar, half the messages, where the queue is too quiet to show anything tighter, and says even that may not be shown', () => {
    const figures = { ...baseline(Array.from({ length: 15 }, () => queueMinute({ sent: 1, received: 1, deleted: 1, notVisible: 0 }))), invocations: 15 };
    const planned = planQueue(figures);
    const { forecast } = planned.planning;

    expect(forecast.queuePromotionBar).toMatchObject({ failureRate: 0.5, choice: 'unreachable', messagesPerMinute: 1 });
    expect(forecast.guarantee).toMatch(/fewer than 50\.00% of the messages it receives \(the queue's retry rate; stable: 0%\) — the loosest bar it states, which even candidates as good as stable may not show at ~1 message a minute within the final step's \d+ minutes\.$/);
    expect(finalLook(planned, figures).figures['queuePromotionBar']).toBe(0.5);
  });

  it('states no bar without ReportBatchItemFailures, as the judge holds none, and says why', () => {
    const whole = { ...SETUP, reportBatchItemFailures: false };
    const figures = baseline();
    const planned = planQueue(figures, whole);
    const { forecast } = planned.planning;

    expect(forecast.queuePromotionBar).toMatchObject({ failureRate: null, choice: 'not-judged', stableFailureRate: expect.any(Number) });
    expect(finalLook(planned, figures, whole).figures['queuePromotionBar']).toBeNull();
    expect(forecast.guarantee).toMatch(/the queue's retry rate holds the candidate to no bar of its own: without ReportBatchItemFailures a failed message fails its whole invocation, which the bar on requests already covers\.$/);
    expect(forecast.summary).not.toContain('failed messages');
  });

  it('says the queue cannot be compared when no queue figures came from before the shift, as the judge then passes no step', () => {
    const { forecast } = planWithinLimits({ traffic: estimateTraffic(baseline()), named: undefined, settings: analysisSchema.parse({}), queue: QUEUE, queueTest: { stable: undefined, reportBatchItemFailures: true } }).planning;

    expect(forecast.queuePromotionBar).toMatchObject({ failureRate: null, choice: 'not-judged' });
    expect(forecast.guarantee).toMatch(/could not be read, so the queue cannot be compared: no step passes, and the canary rolls back as inconclusive\.$/);
  });

  it('is absent for an API canary, and for an all-at-once shift, which has no final step to hold', () => {
    const traffic = estimateTraffic(baseline());
    const queueTest: QueueTestInput = { stable: stableQueue(SETUP, baseline()), reportBatchItemFailures: true };

    expect(planCanary({ traffic, strategy: undefined, settings: analysisSchema.parse({}) }).forecast.queuePromotionBar).toBeUndefined();
    expect(planCanary({ traffic, strategy: parseStrategy('AllAtOnce'), queueTest, settings: analysisSchema.parse({}) }).forecast.queuePromotionBar).toBeUndefined();
  });
});
