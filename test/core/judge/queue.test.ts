import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summariseWindow, type CheckResult } from '../../../src/core/judge/check.ts';
import { assess, type JudgeInput } from '../../../src/core/judge/index.ts';
import { logRetryEvidence, queueTrendCheck } from '../../../src/core/judge/queue.ts';
import {
  poissonUpperBound,
  poissonUpperTail,
  queueReferenceRate,
  summariseQueueBaseline,
  summariseQueueHistory,
  surfacedFailures,
  withoutErrorReturns,
} from '../../../src/core/judge/queue-baseline.ts';
import { queueJudgeSetup } from '../../../src/core/look.ts';
import type { Baseline, MinuteObservation, QueueMinute } from '../../../src/core/ports.ts';
import { Random } from '../../../src/sim/random.ts';
import { queueMinute } from '../../helpers/factories.ts';
import { ALPHA, at, baseline, judgeInput, looks, observation, SETUP } from '../../helpers/queue-looks.ts';

describe('queueTrendCheck', () => {
  it('applies to SQS canaries only', () => {
    expect(queueTrendCheck.applies(judgeInput([]))).toBe(true);
    expect(queueTrendCheck.applies(judgeInput([], { context: { trigger: 'api' } }))).toBe(false);
  });

  it('passes a queue that behaves as it did before the shift', () => {
    const results = looks(Array.from({ length: 10 }, () => queueMinute()));

    expect(results.at(-1)!.phase).toBe('pass');
    expect(results.at(-1)!.reasons[0]).toMatch(/^no queue regression found: retry rate 0\.50% vs 0\.50% before the shift \(rolls back when shown above [\d.]+%\); 2 visible, oldest 25 s, 0 new dead letters$/);
  });

  it('rolls back when messages come back more often than before the shift, though Lambda counts no errors', () => {
    // 3% of received messages come back instead of 0.5%: partial batch failures, no invocation errors.
    const results = looks(Array.from({ length: 10 }, () => queueMinute({ received: 618, deleted: 600 })));

    const failed = results.findIndex((result) => result.phase === 'fail');
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(6);
    expect(results[failed]!.reasons[0]).toMatch(/^queue: messages fail more often since the candidate took traffic: retry rate 2\.9\d%/);
    expect(results[failed]!.figures['queueRetryEvidence']).toBeGreaterThanOrEqual(2 / ALPHA);
  });

  it('does not read batches still running at a minute\'s end as failures', () => {
    // A burst fills the pollers: 40 messages are in flight at the end of minute 1, deleted in minute 2.
    const burst = [queueMinute({ received: 643, deleted: 600, notVisible: 43 }), queueMinute({ received: 563, deleted: 600, notVisible: 3 })];
    const results = looks([queueMinute(), ...burst, queueMinute(), queueMinute(), queueMinute()]);

    expect(results.every((result) => result.phase !== 'fail')).toBe(true);
    expect(results.at(-1)!.figures['queueRetryRate']).toBeCloseTo(0.005, 3);
  });

  it('counts received − deleted when the metrics have no NotVisible', () => {
    const { notVisible: _none, ...plain } = queueMinute({ received: 618, deleted: 600 });

    expect(surfacedFailures(plain, undefined)).toBe(18);
    expect(surfacedFailures({ received: 643, deleted: 600, notVisible: 43 }, 3)).toBe(3);
  });

  it('rolls back a retry storm at once', () => {
    const [, storm] = looks([queueMinute(), queueMinute({ received: 1500, deleted: 600, notVisible: 3 })]);

    expect(storm!.phase).toBe('fail');
    expect(storm!.reasons.join(' ')).toMatch(/retry storm: 60\.00% of the 1,500 messages/);
  });

  it('is inconclusive, never healthy, when queue metrics are missing', () => {
    const results = looks([queueMinute(), null, queueMinute()]);

    expect(results[1]!.phase).toBe('inconclusive');
    expect(results[1]!.reasons[0]).toMatch(/queue metrics missing for 1 of 1 minutes: Coalmine does not read missing queue metrics as healthy/);
  });

  it('is inconclusive when a queue query failed', () => {
    const input = judgeInput([observation(0, queueMinute())], { failures: [{ metric: 'queue:orders', message: 'GetMetricData: Throttling' }] });
    const result = queueTrendCheck.run({ judge: input, window: summariseWindow(input.window.minutes, 10), look: 1, alpha: ALPHA, memory: undefined });

    expect(result.phase).toBe('inconclusive');
    expect(result.reasons.join(' ')).toMatch(/could not be read \(GetMetricData: Throttling\)/);
  });

  it('is inconclusive without a queue baseline', () => {
    const results = looks([queueMinute()], { baseline: { minutes: 15, invocations: 9000, errors: 0 } });

    expect(results[0]!.phase).toBe('inconclusive');
    expect(results[0]!.reasons[0]).toMatch(/no queue baseline/);
  });

  it('does not pass a step before one retry cycle (visibility timeout) has passed', () => {
    const slowRetries = { ...SETUP, visibilityTimeoutSeconds: 300 };
    const results = looks([queueMinute(), queueMinute()], { context: { minutesInStep: 3, queue: slowRetries } });

    expect(results[1]!.phase).toBe('inconclusive');
    expect(results[1]!.reasons[0]).toMatch(/retries take 5 min to surface/);
  });

  it('rolls back when the backlog keeps growing while arrivals stay normal', () => {
    // Consumers take 450 a minute where they took 603 before: 150 more wait every minute.
    const growing = Array.from({ length: 8 }, (_, i) => queueMinute({ received: 450, deleted: 448, notVisible: 3, visible: 400 + 150 * i, ageOfOldestSeconds: 30 }));
    const results = looks(growing);

    const failed = results.findIndex((result) => result.phase === 'fail');
    expect(failed).toBe(4); // the fifth minute in a row above the limit
    expect(results[failed]!.reasons[0]).toMatch(/^queue: the backlog grew for 5 minutes to 1,000 visible messages \(at most 2 before the shift\) while consumers took 450 a minute, fewer than the 603 they took before: they fell behind/);
  });

  it('excuses a backlog that grows with arrivals beyond what consumers handled in the baseline, even when the baseline saw the burst', () => {
    const withBurst = baseline([...Array.from({ length: 12 }, () => queueMinute()), ...Array.from({ length: 3 }, () => queueMinute({ sent: 3000, received: 2300, deleted: 2290 }))]);
    const burst = Array.from({ length: 6 }, (_, i) => queueMinute({ sent: 3000, received: 2300, deleted: 2290, visible: 700 * (i + 1) }));

    expect(looks(burst, { baseline: withBurst }).every((result) => result.phase !== 'fail')).toBe(true);
  });

  it('excuses a backlog that grows with a burst of arrivals, and one that drains', () => {
    // Consumers at full speed: 1,000 a minute while 3,000 arrive, then draining at 1,000 while 600 arrive.
    const burst = Array.from({ length: 6 }, (_, i) => queueMinute({ sent: 3000, received: 1000, deleted: 997, visible: 2000 * (i + 1), ageOfOldestSeconds: 60 * (i + 1) }));
    const draining = Array.from({ length: 6 }, (_, i) => queueMinute({ received: 1000, deleted: 997, visible: 12000 - 400 * (i + 1), ageOfOldestSeconds: 360 + 30 * i }));

    expect(looks([...burst, ...draining]).every((result) => result.phase !== 'fail')).toBe(true);
  });

  it('rolls back when the oldest message keeps ageing while arrivals stay normal', () => {
    const ageing = Array.from({ length: 6 }, (_, i) => queueMinute({ received: 500, deleted: 497, notVisible: 3, ageOfOldestSeconds: 200 + 60 * i }));
    const results = looks(ageing);

    expect(results[4]!.phase).toBe('fail');
    expect(results[4]!.reasons[0]).toMatch(/oldest message aged for 5 minutes to 440 s .* while consumers took 500 messages a minute, fewer than the 603/);
  });

  it('does not read a retried message\'s age as consumers falling behind: it waits out a visibility timeout per failure and the batching window per receive', () => {
    const slow = { ...SETUP, visibilityTimeoutSeconds: 300, batchingWindowSeconds: 60 };
    const retried = Array.from({ length: 8 }, (_, i) => queueMinute({ received: 500, deleted: 497, notVisible: 3, ageOfOldestSeconds: 300 + 60 * i }));

    expect(looks(retried, { context: { queue: slow } }).every((result) => result.phase !== 'fail')).toBe(true);
    const behind = Array.from({ length: 5 }, (_, i) => queueMinute({ received: 500, deleted: 497, notVisible: 3, ageOfOldestSeconds: 920 + 60 * i }));
    expect(looks([...retried, ...behind], { context: { queue: slow } }).at(-1)!.phase).toBe('fail');
  });

  it('rolls back when messages reach the DLQ faster than the baseline\'s pace allows', () => {
    const results = looks([queueMinute({ dlqVisible: 7 }), queueMinute({ dlqVisible: 7 })], { baseline: baseline(Array.from({ length: 15 }, () => queueMinute({ dlqVisible: 7 }))) });
    expect(results.every((result) => result.phase === 'pass')).toBe(true);

    // None in the 9,000 messages before the shift bounds the pace at about 7 in 9,000 (α/2): five
    // dead letters a minute are more than twice that, plus noise, by the second minute.
    const grown = looks([queueMinute({ dlqVisible: 12 }), queueMinute({ dlqVisible: 17 }), queueMinute({ dlqVisible: 22 })], { baseline: baseline(Array.from({ length: 15 }, () => queueMinute({ dlqVisible: 7 }))) });
    expect(grown.map((result) => result.phase)).toEqual(['pass', 'fail', 'fail']);
    expect(grown[1]!.reasons[0]).toMatch(/10 messages reached the DLQ since the canary began; the baseline's pace allows 9/);
  });

  it('tolerates a DLQ that grew at the same pace before the shift', () => {
    const before = Array.from({ length: 15 }, (_, i) => queueMinute({ dlqVisible: i }));
    const results = looks(Array.from({ length: 10 }, (_, i) => queueMinute({ dlqVisible: 15 + i })), { baseline: baseline(before) });

    expect(results.every((result) => result.phase === 'pass')).toBe(true);
  });

  it('rolls back a candidate shown to fail messages more often than stable, with no allowance for the bar', () => {
    // At 50%, a candidate failing 1.8% of messages against stable's 0.5% brings the queue to 1.15%:
    // within stable's rate plus half the 0.5-point margin it would be "no worse than the bar", but it
    // is worse than stable, which is what the rollback test asks (as the errors test does for requests).
    const results = looks(Array.from({ length: 40 }, () => queueMinute({ received: 607, deleted: 600 })), { context: { weight: 50 } });

    expect(results.some((result) => result.phase === 'fail')).toBe(true);
  });

  it('holds the final step while messages lean towards coming back more often, short of a verdict', () => {
    // 1.3% of messages come back against 0.5% before, for three minutes: too soon for a verdict.
    const leaning = looks(Array.from({ length: 3 }, () => queueMinute({ received: 608, deleted: 600 })), { context: { isFinalStep: true, weight: 50 } }).at(-1)!;

    expect(leaning.phase).toBe('inconclusive');
    expect(leaning.reasons[0]).toMatch(/^queue: the candidate leans worse: messages come back more often than before the shift \(retry rate 1\.3\d% since the first shift vs 0\.50%\), short of a verdict; holding this weight until that settles$/);
    expect(leaning.figures['queueLeanEvidence']).toBeGreaterThanOrEqual(2);
  });

  it('lets an earlier step pass while leaning: a higher weight shows a queue-wide regression sooner', () => {
    const leaning = looks(Array.from({ length: 3 }, () => queueMinute({ received: 608, deleted: 600 })), { context: { isFinalStep: false, weight: 25 } }).at(-1)!;

    expect(leaning.phase).toBe('pass');
    expect(leaning.figures['queueLeanEvidence']).toBeGreaterThanOrEqual(2);
  });

  it('lets the final step pass once the queue is back at its baseline rate', () => {
    const minutes = [...Array.from({ length: 3 }, () => queueMinute({ received: 608, deleted: 600 })), ...Array.from({ length: 40 }, () => queueMinute())];
    const results = looks(minutes, { context: { isFinalStep: true, weight: 50 } });

    expect(results[2]!.phase).toBe('inconclusive');
    expect(results.at(-1)!.phase).toBe('pass');
  });

  it('reads a memory written before the lean was kept without holding on it', () => {
    const first = looks([queueMinute()], { context: { isFinalStep: true, weight: 50 } })[0]!;
    const { s: _lean, ...older } = first.memory as Record<string, unknown>;
    const input = judgeInput([observation(1, queueMinute())], { context: { isFinalStep: true, weight: 50 } });
    const next = queueTrendCheck.run({ judge: input, window: summariseWindow(input.window.minutes, 50), look: 2, alpha: ALPHA, memory: older });

    expect(next.reasons.join('\n')).not.toMatch(/leans worse/);
  });

  it('keeps its memory small', () => {
    const last = looks(Array.from({ length: 30 }, () => queueMinute())).at(-1)!;

    expect(JSON.stringify(last.memory).length).toBeLessThan(400);
  });

  it('rolls back an A/A canary (same retry rate, Poisson noise, a look every minute) rarely', () => {
    // 200 canaries of 60 looks each; the check may spend ALPHA on them; the baseline bound
    // and the e-process together keep false rollbacks below it (allowing for sampling noise).
    const rng = new Random(2026);
    let falseRollbacks = 0;
    for (let run = 0; run < 200; run++) {
      const draw = () => {
        const received = rng.poisson(600);
        return queueMinute({ received, deleted: received - rng.binomial(received, 0.005) });
      };
      const results = looks(Array.from({ length: 60 }, draw), { baseline: baseline(Array.from({ length: 15 }, draw)) });
      if (results.some((result) => result.phase === 'fail')) falseRollbacks++;
    }
    expect(falseRollbacks).toBeLessThanOrEqual(2);
  });
});

describe('queueTrendCheck on a queue with poison messages', () => {
  it('counts a poison message\'s returns as one clump of maxReceiveCount failures, from the share of failures the baseline\'s dead letters account for', () => {
    // Both baselines fail 3 of 603 receives a minute, the canary 12 of 612; in the second baseline, 9 dead letters in 15 minutes
    // (5 receives each) account for all 45 failures: they came in clumps of 5.
    const deadLettering = Array.from({ length: 15 }, (_, i) => queueMinute({ dlqVisible: Math.floor((i * 9) / 14) }));
    const canary = (dlqVisible: number) => Array.from({ length: 10 }, () => queueMinute({ received: 612, deleted: 600, dlqVisible }));
    const independent = looks(canary(0)).at(-1)!;
    const clumped = looks(canary(9), { baseline: baseline(deadLettering) }).at(-1)!;

    expect(independent.phase).toBe('fail');
    expect(clumped.phase).not.toBe('fail');
    expect(clumped.figures['queueRetryEvidence']).toBeLessThan(independent.figures['queueRetryEvidence'] as number);
  });
});

describe('queueTrendCheck under load that hits both versions alike', () => {
  /** One look per minute; each minute `[queue, stable's invocation errors, the candidate's]`. */
  function looksWithErrors(minutes: [QueueMinute, number, number][], options: Parameters<typeof judgeInput>[1] = {}): CheckResult[] {
    let memory: unknown;
    return minutes.map(([queue, stableErrors, candidateErrors], i) => {
      const minute: MinuteObservation = { minute: at(i), stable: { invocations: 500, errors: stableErrors, throttles: 0 }, candidate: { invocations: 50, errors: candidateErrors, throttles: 0 }, queue };
      const input = judgeInput([minute], options);
      const result = queueTrendCheck.run({ judge: input, window: summariseWindow(input.window.minutes, input.context.weight), look: i + 1, alpha: ALPHA, memory });
      memory = JSON.parse(JSON.stringify(result.memory));
      return result;
    });
  }

  it('excuses the whole batches that invocation errors of either version returned', () => {
    // A burst's full batches time out on both versions: 8 errors return 80 messages, which surface a
    // retry cycle later; only the usual 3 a minute come back otherwise.
    const minutes: [QueueMinute, number, number][] = [
      [queueMinute(), 0, 0],
      [queueMinute({ notVisible: 83 }), 7, 1],
      [queueMinute({ received: 683, deleted: 600, notVisible: 3 }), 0, 0],
      ...Array.from({ length: 8 }, (): [QueueMinute, number, number] => [queueMinute(), 0, 0]),
    ];
    const results = looksWithErrors(minutes);

    expect(results.every((result) => result.phase !== 'fail')).toBe(true);
    expect(results.at(-1)!.figures['queueErrorReturns']).toBe(80);
  });

  it('still rolls back the returns no invocation error explains: messages the candidate fails and reports', () => {
    // An invocation error a minute excuses 10 of the 30 messages that come back each minute; the other 20 are not stable's 3.
    const minutes = Array.from({ length: 10 }, (): [QueueMinute, number, number] => [queueMinute({ received: 630, deleted: 600 }), 1, 0]);
    const results = looksWithErrors(minutes);

    expect(results.some((result) => result.phase === 'fail' && /messages fail more often/.test(result.reasons[0]!))).toBe(true);
  });

  it('lets an error excuse its returns for one retry cycle only', () => {
    // The error's 10 messages are excused when they surface; failures three minutes later are not.
    const minutes: [QueueMinute, number, number][] = [[queueMinute(), 0, 0], [queueMinute(), 1, 0], ...Array.from({ length: 6 }, (): [QueueMinute, number, number] => [queueMinute({ received: 650, deleted: 600 }), 0, 0])];
    const results = looksWithErrors(minutes);

    expect(results.at(-1)!.figures['queueErrorReturns']).toBe(10);
    expect(results.some((result) => result.phase === 'fail')).toBe(true);
  });

  it('takes stable\'s own invocation errors out of its retry rate, at its average batch size', () => {
    const summary = summariseQueueBaseline(Array.from({ length: 15 }, () => queueMinute({ received: 650, deleted: 600, notVisible: 3 })))!;
    // 14 counted minutes, 9,100 received in 900 invocations (about 10 a batch); 45 errors returned about 455 of the 700 failures.
    const corrected = withoutErrorReturns(summary, { invocations: 900, errors: 45 });

    expect(summary.failures).toBe(700);
    expect(corrected.failures).toBeCloseTo(700 - 45 * (9100 / 900), 6);
    expect(withoutErrorReturns(summary, { invocations: 900, errors: 0 })).toBe(summary);
  });

  it('allows dead letters at the baseline\'s pace per message sent, bounded from above: fifteen minutes without one do not forbid a slow trickle', () => {
    // One dead letter every other minute (a pace the baseline's 9,000 messages could miss) for 30 minutes.
    const trickle = Array.from({ length: 30 }, (_, i) => queueMinute({ dlqVisible: Math.floor((i + 1) / 2) }));

    expect(looks(trickle).every((result) => result.phase !== 'fail')).toBe(true);
  });

  it('allows a burst\'s dead letters: their pace is per message sent', () => {
    const before = Array.from({ length: 15 }, (_, i) => queueMinute({ dlqVisible: 2 * i }));
    // Five times the messages for four minutes bring five times the dead letters.
    const burst = [2, 4, 14, 24, 34, 44, 46, 48].map((dlq, i) => queueMinute({ sent: i >= 2 && i < 6 ? 3000 : 600, dlqVisible: 28 + dlq }));

    expect(looks(burst, { baseline: baseline(before) }).every((result) => result.phase !== 'fail')).toBe(true);
  });

  it('does not read a quiet queue\'s few messages a minute as consumers falling behind', () => {
    // 30 messages a minute, the busiest baseline minute 42; a retried message ages past the limit
    // while nothing waits: consumers with no work cannot show that they got slower.
    const quiet = baseline(Array.from({ length: 15 }, (_, i) => queueMinute({ sent: 30, received: i === 7 ? 42 : 30, deleted: i === 7 ? 42 : 30, visible: 0, ageOfOldestSeconds: 5, notVisible: 0 })));
    const ageing = Array.from({ length: 8 }, (_, i) => queueMinute({ sent: 30, received: 26, deleted: 26, visible: 0, ageOfOldestSeconds: 200 + 60 * i, notVisible: 0 }));

    expect(looks(ageing, { baseline: quiet }).every((result) => result.phase !== 'fail')).toBe(true);
  });

  it('judges consumers against their flat-out throughput when the baseline was already saturated', () => {
    // Saturated before the shift: a backlog in every minute, consumers taking 800 a minute (900 at most, by chance).
    const saturated = baseline(Array.from({ length: 15 }, (_, i) => queueMinute({ sent: 850, received: i === 3 ? 900 : 800, deleted: i === 3 ? 897 : 797, visible: 2000 + 50 * i })));
    const same = Array.from({ length: 8 }, (_, i) => queueMinute({ sent: 850, received: 800, deleted: 797, visible: 2750 + 50 * i }));
    const slower = Array.from({ length: 16 }, (_, i) => queueMinute({ sent: 850, received: 600, deleted: 597, visible: 2750 + 500 * i }));

    expect(summariseQueueBaseline(saturated.queue!)!.capacity).toBeCloseTo((14 * 800 + 900) / 15, 6);
    expect(looks(same, { baseline: saturated }).every((result) => result.phase !== 'fail')).toBe(true);
    expect(looks(slower, { baseline: saturated }).some((result) => result.phase === 'fail' && /fell behind/.test(result.reasons[0]!))).toBe(true);
  });
});

describe('queueTrendCheck on a quiet queue, with the day before the baseline', () => {
  /** Five messages a minute; `failed` of them come back. */
  const quiet = (failed = 0) => queueMinute({ sent: 5, received: 5, deleted: 5 - failed, visible: 0, ageOfOldestSeconds: 3, notVisible: 0 });
  /** Fifteen quiet minutes with no failure: the 0.5% stable fails does not show in 75 messages. */
  const quietBaseline = (queueHistory?: Baseline['queueHistory']): Baseline => ({ ...baseline(Array.from({ length: 15 }, () => quiet())), ...(queueHistory ? { queueHistory } : {}) });
  /** A day at five messages a minute, 0.5% of them came back. */
  const day = { hours: 24, received: 7200, failures: 36 };
  /** The queue fails one message in four minutes (5%): a candidate at 50% failing 9.5% of its messages. */
  const regressed = Array.from({ length: 60 }, (_, i) => quiet(i % 4 === 3 ? 1 : 0));

  it('rolls back a regression that fifteen quiet minutes alone could not show, by drawing on the day before', () => {
    const alone = looks(regressed, { baseline: quietBaseline(), context: { weight: 50 } });
    const withDay = looks(regressed, { baseline: quietBaseline(day), context: { weight: 50 } });

    expect(alone.some((result) => result.phase === 'fail')).toBe(false);
    const failed = withDay.find((result) => result.phase === 'fail');
    expect(failed?.reasons[0]).toMatch(/^queue: messages fail more often since the candidate took traffic: retry rate 5\.\d+% \(\d+ of \d+ received came back\) vs 0\.50% before the shift \(with the 24 hours before the baseline\)/);
    expect(failed?.figures['queueBaselineHistoryHours']).toBe(24);
  });

  it('passes a quiet queue that fails as often as it did through the day', () => {
    // 0.5% of 300 messages: one or two failures an hour.
    const healthy = Array.from({ length: 60 }, (_, i) => quiet(i === 20 || i === 50 ? 1 : 0));

    expect(looks(healthy, { baseline: quietBaseline(day), context: { weight: 50 } }).at(-1)!.phase).toBe('pass');
  });

  it('leaves the day out when the baseline fails clearly more often than the day did: the queue now is what counts', () => {
    const failingNow = baseline(Array.from({ length: 15 }, () => quiet(1)));
    const summary = summariseQueueBaseline(failingNow.queue!)!;

    expect(queueReferenceRate(summary, day, 1)).toEqual({ received: 70, failures: 14, historyHours: 0 });
  });

  it('leaves the day out when the baseline alone holds enough failures', () => {
    const busy = summariseQueueBaseline(Array.from({ length: 15 }, () => queueMinute({ received: 660, deleted: 630 })))!;

    expect(busy.failures).toBeGreaterThanOrEqual(400);
    expect(queueReferenceRate(busy, { hours: 24, received: 900_000, failures: 45_000 }, 1).historyHours).toBe(0);
  });

  it('pools a thin baseline with a day that agrees with it', () => {
    const summary = summariseQueueBaseline(Array.from({ length: 15 }, () => quiet()))!;

    expect(queueReferenceRate(summary, day, 1)).toEqual({ received: 7270, failures: 36, historyHours: 24 });
  });

  it('rolls back an A/A canary on a quiet queue (same retry rate through the day, a look every minute) rarely', () => {
    const rng = new Random(909);
    const draw = () => {
      const received = rng.poisson(5);
      return queueMinute({ sent: received, received, deleted: received - rng.binomial(received, 0.005), visible: 0, notVisible: 0 });
    };
    let falseRollbacks = 0;
    for (let run = 0; run < 200; run++) {
      const received = rng.poisson(7200);
      const history = { hours: 24, received, failures: rng.binomial(received, 0.005) };
      const results = looks(Array.from({ length: 60 }, draw), { baseline: { ...baseline(Array.from({ length: 15 }, draw)), queueHistory: history }, context: { weight: 50 } });
      if (results.some((result) => result.phase === 'fail')) falseRollbacks++;
    }
    expect(falseRollbacks).toBeLessThanOrEqual(2);
  });
});

describe('summariseQueueHistory', () => {
  it('sums the hours: what was received and not deleted came back', () => {
    expect(summariseQueueHistory([{ received: 310, deleted: 300 }, { received: 0, deleted: 0 }, { received: 290, deleted: 289 }])).toEqual({ hours: 3, received: 600, failures: 11 });
  });

  it('has nothing to say without hours', () => {
    expect(summariseQueueHistory([])).toBeUndefined();
  });
});

describe('poissonUpperTail', () => {
  it('is the chance of at least k events', () => {
    expect(poissonUpperTail(0, 3)).toBe(1);
    expect(poissonUpperTail(1, 3)).toBeCloseTo(1 - Math.exp(-3), 12);
    expect(poissonUpperTail(3, 1)).toBeCloseTo(1 - Math.exp(-1) * (1 + 1 + 0.5), 12);
    expect(poissonUpperTail(15, 0.4)).toBeLessThan(1e-12);
  });
});

describe('queueTrendCheck with the mapping’s own event counts', () => {
  const counts = { polled: 603, invoked: 603, failedInvoke: 3, deleted: 600, filteredOut: 0 };
  const metricsOn = { context: { queue: { ...SETUP, metricsEnabled: true } } };

  it('reports what the mapping polled, invoked, failed and deleted since the first look, in figures and the pass reason', () => {
    const results = looks(Array.from({ length: 6 }, () => queueMinute({ mapping: counts })), metricsOn);

    const last = results.at(-1)!;
    expect(last.phase).toBe('pass');
    expect(last.figures).toMatchObject({ mappingPolled: 3618, mappingInvoked: 3618, mappingFailedInvoke: 18, mappingFailedInvokeRate: 0.00498, mappingDeleted: 3600, mappingFilteredOut: 0, mappingMinutes: 6, mappingMinutesMissing: 0 });
    expect(last.reasons[0]).toMatch(/; the mapping invoked 3,618 events, 18 failed or came back as batch item failures \(0\.50%\), 3,600 deleted$/);
  });

  it('sums the counts the same however the minutes fall into looks', () => {
    const mappingCounts = fc.record({ polled: fc.nat(2000), invoked: fc.nat(2000), failedInvoke: fc.nat(50), deleted: fc.nat(2000), filteredOut: fc.nat(20) });
    fc.assert(
      fc.property(fc.array(mappingCounts, { minLength: 1, maxLength: 12 }), fc.nat(11), (minutes, cut) => {
        const split = Math.min(cut, minutes.length - 1);
        let memory: unknown;
        let figures: CheckResult['figures'] = {};
        for (const part of [minutes.slice(0, split), minutes.slice(split)]) {
          const input = judgeInput(part.map((mapping, i) => observation(i, queueMinute({ mapping }))), metricsOn);
          const result = queueTrendCheck.run({ judge: input, window: summariseWindow(input.window.minutes, input.context.weight), look: 1, alpha: ALPHA, memory });
          memory = JSON.parse(JSON.stringify(result.memory));
          figures = result.figures;
        }
        const total = (key: keyof typeof counts) => minutes.reduce((sum, minute) => sum + minute[key], 0);
        expect(figures).toMatchObject({ mappingPolled: total('polled'), mappingInvoked: total('invoked'), mappingFailedInvoke: total('failedInvoke'), mappingDeleted: total('deleted'), mappingFilteredOut: total('filteredOut'), mappingMinutes: minutes.length });
      }),
    );
  });

  it('says when the counts are missing while metrics are on, and leaves the look’s phase to the queue’s figures', () => {
    const results = looks([queueMinute({ mapping: counts }), queueMinute(), queueMinute(), queueMinute({ mapping: counts }), queueMinute(), queueMinute()], metricsOn);

    const last = results.at(-1)!;
    expect(last.phase).toBe('pass');
    expect(last.figures).toMatchObject({ mappingMinutes: 2, mappingMinutesMissing: 4, mappingInvoked: 1206 });
    expect(last.reasons[0]).toMatch(/the mapping's own event counts are missing for 4 of 6 minutes \(reported only, not judged\)$/);
  });

  it('still rolls back on the queue’s figures when the mapping’s counts are missing', () => {
    const results = looks(Array.from({ length: 10 }, () => queueMinute({ received: 640, deleted: 600 })), metricsOn);

    expect(results.some((result) => result.phase === 'fail')).toBe(true);
  });

  it('adds no mapping figures when the mapping publishes no counts', () => {
    const last = looks(Array.from({ length: 6 }, () => queueMinute())).at(-1)!;

    expect(Object.keys(last.figures).filter((key) => key.startsWith('mapping'))).toEqual([]);
    expect(last.reasons[0]).not.toMatch(/mapping/);
  });

  it('takes metricsEnabled from the plan\'s queue', () => {
    const setup = queueJudgeSetup({ mappingId: 'm', queueArn: 'a', queueUrl: 'u', queueName: 'q', visibilityTimeoutSeconds: 60, batchSize: 5, batchingWindowSeconds: 2, reportBatchItemFailures: true, metricsEnabled: true });

    expect(setup.metricsEnabled).toBe(true);
  });
});

describe('summariseQueueBaseline', () => {
  it('sums the minutes, skipping missing ones', () => {
    const summary = summariseQueueBaseline([queueMinute({ sent: 500, visible: 9, ageOfOldestSeconds: 40 }), null, queueMinute({ dlqVisible: 2 })]);

    expect(summary).toMatchObject({ minutes: 2, received: 603, failures: 3, meanSent: 550, maxSent: 600, maxReceived: 603, maxVisible: 9, maxAgeSeconds: 40, dlqGrowth: 2, lastDlq: 2, dispersion: 1 });
    expect(summariseQueueBaseline([null, undefined])).toBeUndefined();
  });

  it('finds clumped failures (whole batches returning) overdispersed', () => {
    const clumped = Array.from({ length: 15 }, (_, i) => queueMinute({ received: 600 + (i % 3 === 0 ? 20 : 0), deleted: 600 }));

    expect(summariseQueueBaseline(clumped)!.dispersion).toBeGreaterThan(3);
  });
});

describe('queue statistics', () => {
  it('bounds a Poisson mean from above', () => {
    expect(poissonUpperBound(0, 0.05)).toBeCloseTo(3.0, 1);
    expect(poissonUpperBound(45, 0.001)).toBeGreaterThan(45 + 3 * Math.sqrt(45));
    expect(poissonUpperBound(45, 0.001)).toBeLessThan(45 + 4 * Math.sqrt(45) + 4);
  });

  it('never gives evidence above 1 while failures stay at or below what the null expects', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (expected, share) => {
        expect(logRetryEvidence(expected * share, expected)).toBeLessThanOrEqual(1e-9);
      }),
    );
  });

  it('grows with failures beyond the null', () => {
    expect(logRetryEvidence(60, 20)).toBeGreaterThan(logRetryEvidence(30, 20));
  });

  it('takes the plan\'s queue as the judge needs it', () => {
    const setup = queueJudgeSetup({ mappingId: 'm', queueArn: 'a', queueUrl: 'u', queueName: 'q', visibilityTimeoutSeconds: 60, batchSize: 5, batchingWindowSeconds: 2, reportBatchItemFailures: false });

    expect(setup).toEqual({ batchSize: 5, reportBatchItemFailures: false, visibilityTimeoutSeconds: 60, batchingWindowSeconds: 2 });
  });
});

describe('assess with the queue checks', () => {
  it('rolls back a poison-message candidate on queue evidence alone', () => {
    let memory: JudgeInput['memory'];
    let phase = 'inconclusive';
    for (let i = 0; i < 10 && phase !== 'fail'; i++) {
      const result = assess({ ...judgeInput([observation(i, queueMinute({ received: 640, deleted: 600 }))]), memory });
      memory = JSON.parse(JSON.stringify(result.memory));
      phase = result.phase;
      if (phase === 'fail') expect(result.reasons[0]).toMatch(/^queue: messages fail more often/);
    }
    expect(phase).toBe('fail');
  });
});
