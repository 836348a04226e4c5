import { describe, expect, it } from 'vitest';
import { queuePromotionLogEvidence, queuePromotionTest } from '../../../src/core/judge/queue-promotion.ts';
import { Random } from '../../../src/sim/random.ts';
import { queueMinute } from '../../helpers/factories.ts';
import { baseline, looks, SETUP } from '../../helpers/queue-looks.ts';

describe('queueTrendCheck before promotion: the queue must show the candidate under a bar', () => {
  const FINAL = { context: { isFinalStep: true, weight: 50, stepIndex: 3, intervalMinutes: 5 } };

  it('holds the final step until the queue shows the candidate fails under the bar, its share of the queue accounted for', () => {
    const results = looks(Array.from({ length: 30 }, () => queueMinute()), FINAL);

    expect(results[0]!.phase).toBe('inconclusive');
    expect(results[0]!.reasons[0]).toMatch(
      // The default bar on stable's 0.5% is 1%; 45 minutes of 600 messages (the budget's hour less three 5-minute steps) show 1.49% in 97%
      // of canaries, with stable's rate as high as fifteen minutes of 0.5% allow (at 90%).
      /^queue: not yet 99% sure that the candidate fails under 1\.49% of the messages it receives \(the bar on stable's 0\.50%, loosened from 1\.00% for the queue's traffic\), its share of the queue accounted for; holding the final weight$/,
    );
    expect(results.at(-1)!.phase).toBe('pass');
    expect(results.at(-1)!.figures['queuePromotionBar']).toBeCloseTo(0.0149, 3);
  });

  it('never promotes a candidate that fails messages at the bar', () => {
    // At 50%, a candidate failing 1.5% of messages (at the 1.49% bar) makes the queue fail 1%.
    const results = looks(Array.from({ length: 30 }, () => queueMinute({ received: 606, deleted: 600 })), FINAL);

    expect(results.some((result) => result.phase === 'pass')).toBe(false);
    const held = results.filter((result) => result.phase === 'inconclusive');
    expect(held.length).toBeGreaterThan(10);
    expect(held.every((result) => result.reasons.some((reason) => reason.startsWith('queue: not yet 99% sure that the candidate fails under')))).toBe(true);
  });

  it('asks nothing of the queue before the final step, nor without ReportBatchItemFailures (a failed message then fails its invocation, which the errors test judges)', () => {
    expect(looks([queueMinute()], { context: { ...FINAL.context, isFinalStep: false } })[0]!.phase).toBe('pass');
    const whole = { ...SETUP, reportBatchItemFailures: false, batchSize: 1 };
    expect(looks([queueMinute()], { context: { ...FINAL.context, queue: whole } })[0]!.phase).toBe('pass');
  });

  it('loosens the bar for a quiet queue to what its final step can show, and says so', () => {
    const quiet = Array.from({ length: 15 }, () => queueMinute({ sent: 10, received: 10, deleted: 10, notVisible: 0 }));
    quiet[3] = queueMinute({ sent: 10, received: 10, deleted: 9, notVisible: 0 });
    const held = looks([queueMinute({ sent: 10, received: 10, deleted: 10, notVisible: 0 })], { ...FINAL, baseline: baseline(quiet) })[0]!;

    expect(held.figures['queuePromotionBar']).toBeGreaterThan(0.01);
    expect(held.reasons[0]).toMatch(/loosened from [\d.]+% for the queue's traffic/);
  });

  it('promotes a candidate at the bar rarely, however often it looks', () => {
    // 400 canaries, 60 looks each, the queue failing at what a candidate at the bar makes it fail.
    const test = queuePromotionTest({ reference: { failures: 45, received: 9000 }, phi: 1, alpha: 0.01, errorTolerance: 1.5, errorMargin: 0.005, finalWeight: 50, finalMessages: 36_000 });
    const rng = new Random(7);
    let promoted = 0;
    for (let run = 0; run < 400; run++) {
      let failures = 0;
      for (let minute = 1; minute <= 60; minute++) {
        failures += rng.poisson(600 * (0.5 * test.rate + 0.5 * test.bar));
        if (queuePromotionLogEvidence(test, 50, failures, 600 * minute) >= Math.log(2 / 0.01)) {
          promoted++;
          break;
        }
      }
    }
    expect(promoted).toBeLessThanOrEqual(4);
  });

  it('reads a minute at a weight as evidence only where the bar at that weight lies above stable\'s rate', () => {
    const test = { bar: 0.01, rateLower: 0.004, rateUpper: 0.0055 };

    expect(queuePromotionLogEvidence(test, 5, 3, 600)).toBe(0);
    expect(queuePromotionLogEvidence(test, 50, 3, 600)).toBeGreaterThan(0);
  });
});
