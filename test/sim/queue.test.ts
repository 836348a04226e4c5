import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/sim/scenario.ts';
import { QUEUE_DEFAULTS, queueConfigFromScenario, SimulatedQueue, stableQueueHistory, type QueueConfig, type QueueVersionBehaviour } from '../../src/sim/queue/index.ts';

const healthy: QueueVersionBehaviour = { errorRate: 0, latencyMs: { median: 50, p99: 200 }, poisonRate: 0, throughputFactor: 1 };

function config(overrides: Partial<QueueConfig> = {}): QueueConfig {
  return {
    messagesPerMinute: () => 120,
    batchSize: 10,
    batchingWindowSeconds: 0,
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 5,
    reportBatchItemFailures: true,
    functionTimeoutSeconds: 5,
    maxConcurrency: 50,
    invocationOverheadMs: 5,
    dlqDepthAtStart: 0,
    stable: healthy,
    candidate: healthy,
    candidateFromSeconds: 0,
    ...overrides,
  };
}

function sum(queue: SimulatedQueue, pick: (record: NonNullable<ReturnType<SimulatedQueue['minute']>>) => number): number {
  return queue.minutes().reduce((total, record) => total + pick(record), 0);
}

/** Checks that every message is in exactly one place and that the counters agree with the messages. */
function expectConserved(queue: SimulatedQueue): void {
  const census = queue.census();
  const accounting = queue.accounting();
  const visible = queue.visibleIds();
  expect(census.visible + census.inFlight + census.succeeded + census.deadLettered).toBe(census.messages);
  expect(census.messages).toBe(accounting.sent);
  expect(census.succeeded).toBe(accounting.succeeded);
  expect(census.deadLettered).toBe(accounting.deadLettered);
  expect(census.visible + census.inFlight).toBe(accounting.inQueue);
  expect(accounting.lost).toBe(0);
  expect(new Set(visible).size).toBe(visible.length);
  expect(visible.length).toBe(census.visible);
  expect(queue.visibleDepth()).toBe(census.visible);
  expect(new Set(queue.deadLetterIds()).size).toBe(census.deadLettered);
}

describe('SimulatedQueue', () => {
  it('keeps every message in exactly one place — queue, in flight, succeeded or DLQ — at every moment', () => {
    const behaviour = fc.record({
      errorRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
      latencyMs: fc.constant({ median: 50, p99: 400 }),
      poisonRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
      throughputFactor: fc.double({ min: 0.05, max: 2, noNaN: true }),
      timeoutAboveConcurrency: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    });
    const action = fc.oneof(
      fc.record({ kind: fc.constant('share' as const), share: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant('redrive' as const), back: fc.integer({ min: 0, max: 600 }) }),
      fc.record({ kind: fc.constant('wait' as const) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.record({
          rate: fc.integer({ min: 0, max: 400 }),
          batchSize: fc.integer({ min: 1, max: 20 }),
          batchingWindowSeconds: fc.constantFrom(0, 0, 2, 20),
          visibilityTimeoutSeconds: fc.integer({ min: 0, max: 60 }),
          maxReceiveCount: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
          reportBatchItemFailures: fc.boolean(),
          functionTimeoutSeconds: fc.integer({ min: 1, max: 10 }),
          maxConcurrency: fc.integer({ min: 1, max: 20 }),
          dlqDepthAtStart: fc.integer({ min: 0, max: 5 }),
          stable: behaviour,
          candidate: behaviour,
        }),
        fc.array(fc.record({ seconds: fc.integer({ min: 1, max: 240 }), action }), { minLength: 1, maxLength: 12 }),
        (seed, settings, steps) => {
          const { rate, maxReceiveCount, ...rest } = settings;
          const queue = new SimulatedQueue(config({ ...rest, ...(maxReceiveCount === undefined ? {} : { maxReceiveCount }), messagesPerMinute: () => rate }), seed);
          for (const step of steps) {
            queue.advanceTo(queue.time + step.seconds);
            if (step.action.kind === 'share') queue.setCandidateShare(step.action.share);
            if (step.action.kind === 'redrive') queue.redrive(Math.max(0, queue.time - step.action.back));
            expectConserved(queue);
          }
          const dlqAtEnd = queue.dlqDepth();
          expect(dlqAtEnd).toBe(settings.dlqDepthAtStart + queue.accounting().deadLettered);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('gives the same run for the same seed and a different one for another seed', () => {
    const run = (seed: number) => {
      const queue = new SimulatedQueue(config({ stable: { ...healthy, errorRate: 0.05 } }), seed);
      queue.advanceTo(300);
      queue.setCandidateShare(0.3);
      queue.advanceTo(900);
      return JSON.stringify(queue.minutes());
    };

    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });

  it('does the same whatever steps time is advanced in', () => {
    const coarse = new SimulatedQueue(config({ stable: { ...healthy, errorRate: 0.1 } }), 3);
    coarse.advanceTo(600);
    const fine = new SimulatedQueue(config({ stable: { ...healthy, errorRate: 0.1 } }), 3);
    for (let t = 7; t < 600; t += 7) fine.advanceTo(t);
    fine.advanceTo(600);

    expect(fine.minutes()).toEqual(coarse.minutes());
  });

  it('counts a batch as one invocation, and a partial batch response as no error', () => {
    const queue = new SimulatedQueue(config({ stable: { ...healthy, errorRate: 0.2 }, reportBatchItemFailures: true }), 1);
    queue.advanceTo(600);

    const received = sum(queue, (r) => r.queue.received);
    const deleted = sum(queue, (r) => r.queue.deleted);
    expect(sum(queue, (r) => r.stable.errors)).toBe(0);
    expect(received - deleted).toBeGreaterThan(0);
    // Messages count when their batch ends: all but those of batches still running.
    const delivered = sum(queue, (r) => r.stable.messages);
    expect(delivered).toBeLessThanOrEqual(received);
    expect(received - delivered).toBeLessThanOrEqual(10 * 50);
    expect(sum(queue, (r) => r.stable.invocations)).toBeLessThanOrEqual(delivered);
  });

  it('without ReportBatchItemFailures, one failed message makes the invocation an error and returns the whole batch', () => {
    const rate = 1200; // enough to fill batches
    const queue = new SimulatedQueue(config({ messagesPerMinute: () => rate, maxConcurrency: 2, stable: { ...healthy, poisonRate: 0.05 }, reportBatchItemFailures: false, maxReceiveCount: 1000 }), 2);
    queue.advanceTo(300);

    const errors = sum(queue, (r) => r.stable.errors);
    const invocations = sum(queue, (r) => r.stable.invocations);
    const failedMessages = sum(queue, (r) => r.queue.received - r.queue.deleted);
    expect(errors).toBeGreaterThan(0);
    // Every message of an erroring batch returns, not just the poison one.
    expect(failedMessages).toBeGreaterThan(5 * errors);
    expect(errors).toBeLessThanOrEqual(invocations);
  });

  it('times out a batch that runs past the function timeout, as an error', () => {
    const queue = new SimulatedQueue(config({ stable: { ...healthy, latencyMs: { median: 3000, p99: 4000 } }, functionTimeoutSeconds: 1, maxReceiveCount: 1000 }), 4);
    queue.advanceTo(300);

    expect(sum(queue, (r) => r.stable.errors)).toBe(sum(queue, (r) => r.stable.invocations));
    expect(sum(queue, (r) => r.queue.deleted)).toBe(0);
    expect(Math.max(...queue.minutes().flatMap((r) => r.stable.durationsMs))).toBe(1000);
  });

  it('times out candidate batches started while more than the limit are running', () => {
    const queue = new SimulatedQueue(
      config({ messagesPerMinute: () => 3000, batchSize: 2, candidate: { ...healthy, latencyMs: { median: 400, p99: 800 }, timeoutAboveConcurrency: 1 }, maxReceiveCount: 1000 }),
      5,
    );
    queue.setCandidateShare(0.5);
    queue.advanceTo(300);

    expect(sum(queue, (r) => r.candidate.errors)).toBeGreaterThan(0);
    expect(sum(queue, (r) => r.stable.errors)).toBe(0);
  });

  it('moves a message to the DLQ when it is received after maxReceiveCount receives, and only then', () => {
    const queue = new SimulatedQueue(config({ messagesPerMinute: () => 30, stable: { ...healthy, poisonRate: 1 }, maxReceiveCount: 3, visibilityTimeoutSeconds: 10 }), 6);
    queue.advanceTo(600);

    const received = sum(queue, (r) => r.queue.received);
    const { deadLettered, inQueue } = queue.accounting();
    expect(deadLettered).toBeGreaterThan(0);
    expect(sum(queue, (r) => r.queue.deleted)).toBe(0);
    // Each dead letter was received exactly three times; those still in the queue at most three.
    expect(received).toBeGreaterThanOrEqual(3 * deadLettered);
    expect(received).toBeLessThanOrEqual(3 * (deadLettered + inQueue));
  });

  it('retries for ever when the queue has no DLQ', () => {
    const { maxReceiveCount: _none, ...noDlq } = config({ messagesPerMinute: () => 30, stable: { ...healthy, poisonRate: 1 }, visibilityTimeoutSeconds: 5 });
    const queue = new SimulatedQueue(noDlq, 6);
    queue.advanceTo(900);

    expect(queue.accounting().deadLettered).toBe(0);
    expect(queue.accounting().inQueue).toBe(queue.accounting().sent);
  });

  it('redrives only the messages that reached the DLQ since a time, leaving older dead letters', () => {
    const queue = new SimulatedQueue(config({ messagesPerMinute: () => 60, dlqDepthAtStart: 4, maxReceiveCount: 2, visibilityTimeoutSeconds: 5, candidate: { ...healthy, poisonRate: 1 } }), 9);
    queue.advanceTo(300);
    const depthBefore = queue.dlqDepth();
    const canaryStart = queue.time;
    queue.setCandidateShare(1);
    queue.advanceTo(600);
    queue.setCandidateShare(0);
    queue.advanceTo(660);
    expect(queue.dlqDepth()).toBeGreaterThan(depthBefore);

    const moved = queue.redrive(canaryStart);

    expect(moved).toBeGreaterThan(0);
    expect(queue.accounting().redriven).toBe(moved);
    expect(queue.dlqDepth()).toBe(depthBefore);
    queue.advanceTo(900);
    // Back on a healthy stable version, the redriven messages are processed.
    expect(queue.dlqDepth()).toBe(depthBefore);
    expect(queue.accounting().inQueue).toBeLessThan(moved);
    expectConserved(queue);
  });

  it('keeps in the DLQ a message first received before the redrive time, as the AWS adapter must', () => {
    const queue = new SimulatedQueue(config({ messagesPerMinute: () => 60, maxReceiveCount: 2, visibilityTimeoutSeconds: 60, stable: { ...healthy, poisonRate: 1 } }), 10);
    queue.advanceTo(90); // messages of the first minute have been received once or twice, none dead-lettered yet
    const since = queue.time;
    queue.advanceTo(400);
    const early = queue.dlqDepth();
    expect(early).toBeGreaterThan(0);

    const moved = queue.redrive(since);

    expect(moved).toBeLessThan(early);
  });

  it('reports the age of the oldest message, ignoring messages received three times or more', () => {
    // Everything fails: messages come back every 20 s; none dead-letters (maxReceiveCount 100).
    const queue = new SimulatedQueue(config({ messagesPerMinute: () => 60, stable: { ...healthy, poisonRate: 1 }, maxReceiveCount: 100, visibilityTimeoutSeconds: 20 }), 11);
    queue.advanceTo(600);

    const ages = queue.minutes().map((r) => r.queue.ageOfOldestSeconds);
    // A message is received at once, then at 20 s and 40 s: from its third receive on it is ignored,
    // so the oldest counted message is at most ~40 s (+ processing) old, although messages from minute 0 are still there.
    expect(Math.max(...ages)).toBeLessThan(45);
    expect(Math.max(...ages)).toBeGreaterThan(30);
  });

  it('routes batches, not messages, by the candidate share', () => {
    const share = 0.2;
    const queue = new SimulatedQueue(config({ messagesPerMinute: () => 600 }), 12);
    queue.setCandidateShare(share);
    queue.advanceTo(3600);

    const candidate = sum(queue, (r) => r.candidate.invocations);
    const all = candidate + sum(queue, (r) => r.stable.invocations);
    const sd = Math.sqrt(all * share * (1 - share));
    expect(Math.abs(candidate - all * share)).toBeLessThan(4 * sd);
    for (const record of queue.minutes()) expect(record.candidateShare).toBe(share);
  });

  it('builds a backlog when the candidate is too slow for the concurrency it has', () => {
    const slow = { ...healthy, throughputFactor: 0.05 };
    const queue = new SimulatedQueue(config({ messagesPerMinute: () => 600, maxConcurrency: 5, candidate: slow, functionTimeoutSeconds: 60, visibilityTimeoutSeconds: 360 }), 13);
    queue.advanceTo(600);
    const before = queue.visibleDepth();
    queue.setCandidateShare(0.5);
    queue.advanceTo(1500);

    const visible = queue.minutes().slice(-10).map((r) => r.queue.visible);
    expect(before).toBeLessThan(20);
    expect(visible[visible.length - 1]!).toBeGreaterThan(10 * Math.max(1, before));
    expect(queue.minutes().at(-1)!.queue.ageOfOldestSeconds).toBeGreaterThan(120);
  });

  it('receives a message again when its batch outlasts the visibility timeout', () => {
    const queue = new SimulatedQueue(config({ messagesPerMinute: () => 30, stable: { ...healthy, latencyMs: { median: 3000, p99: 3500 } }, functionTimeoutSeconds: 10, visibilityTimeoutSeconds: 1, maxReceiveCount: 1000 }), 14);
    queue.advanceTo(600);

    expect(sum(queue, (r) => r.queue.received)).toBeGreaterThan(sum(queue, (r) => r.queue.sent));
    expectConserved(queue);
  });

  it('keeps the candidate behaving as stable until fromMinute after the first shift', () => {
    const queue = new SimulatedQueue(config({ candidate: { ...healthy, poisonRate: 1 }, candidateFromSeconds: 300 }), 15);
    queue.advanceTo(60);
    queue.setCandidateShare(1);
    queue.advanceTo(300);
    expect(sum(queue, (r) => r.queue.received - r.queue.deleted)).toBeLessThanOrEqual(queue.minutes().at(-1)!.queue.inFlight);
    queue.advanceTo(600);

    expect(queue.minutes().slice(-3).every((r) => r.queue.deleted === 0)).toBe(true);
  });

  it('reports a version minute as CloudWatch would: p99 of durations, slow count, null without invocations', () => {
    const queue = new SimulatedQueue(config(), 16);
    queue.advanceTo(120);

    const minute = queue.versionMinute(1, 'stable', 100);
    const durations = queue.minute(1)!.stable.durationsMs;
    expect(minute?.invocations).toBe(durations.length);
    expect(minute?.slow).toBe(durations.filter((ms) => ms > 100).length);
    expect(durations.filter((ms) => ms > minute!.p99Ms!).length).toBeLessThanOrEqual(Math.floor(0.01 * durations.length));
    expect(queue.versionMinute(1, 'candidate')).toBeNull();
    expect(queue.versionMinute(5, 'stable')).toBeNull();
  });
});

describe('queueConfigFromScenario', () => {
  it('reads the contract fields and the extensions, and defaults to a well-set-up queue', () => {
    const scenario = parseScenario(
      {
        name: 'sqs-test',
        trigger: 'sqs',
        queue: { messagesPerMinute: 300, batchSize: 5, visibilityTimeoutSeconds: 60, maxReceiveCount: 4, maxConcurrency: 7 },
        stable: { errorRate: 0.01 },
        candidate: { poisonRate: 0.1, timeoutUnderLoad: { concurrencyAbove: 3 }, fromMinute: 2 },
      },
      'sqs-test.json',
    );

    const queueConfig = queueConfigFromScenario(scenario, 1);

    expect(queueConfig).toMatchObject({
      batchSize: 5,
      visibilityTimeoutSeconds: 60,
      maxReceiveCount: 4,
      maxConcurrency: 7,
      reportBatchItemFailures: QUEUE_DEFAULTS.reportBatchItemFailures,
      candidateFromSeconds: 120,
      candidate: { errorRate: 0.01, poisonRate: 0.1, timeoutAboveConcurrency: 3, throughputFactor: 1 },
      stable: { errorRate: 0.01, poisonRate: 0 },
    });
    expect(queueConfig.messagesPerMinute(10)).toBe(300);
  });

  it('sends queue.messagesPerMinute, the traffic block only shaping it (its requestsPerMinute ignored)', () => {
    const steady = { name: 'x', trigger: 'sqs', queue: { messagesPerMinute: 600 }, stable: { errorRate: 0 } } as const;
    const shaped = parseScenario({ ...steady, traffic: { requestsPerMinute: 5, pattern: 'diurnal', amplitude: 0.5, offsetMinutes: 360 } }, 'x.json');
    const withoutRate = parseScenario({ ...steady, traffic: { pattern: 'diurnal', amplitude: 0.5, offsetMinutes: 360 } }, 'x.json');

    // Minute 0 is 6 a.m., the diurnal peak: 600 × 1.5.
    expect(queueConfigFromScenario(shaped, 1).messagesPerMinute(0)).toBeCloseTo(900);
    expect(queueConfigFromScenario(withoutRate, 1).messagesPerMinute(0)).toBeCloseTo(900);
  });

  it('takes the message rate from traffic when the queue does not give one, and the default queue when there is none', () => {
    const traffic = { requestsPerMinute: 240 };
    const withoutQueue = parseScenario({ name: 'x', trigger: 'sqs', traffic, stable: { errorRate: 0 } }, 'x.json');
    const withoutRate = parseScenario({ name: 'x', trigger: 'sqs', traffic, queue: { batchSize: 5 }, stable: { errorRate: 0 } }, 'x.json');

    expect(queueConfigFromScenario(withoutQueue, 1)).toMatchObject({ batchSize: 10, visibilityTimeoutSeconds: 30, maxReceiveCount: 5 });
    expect(queueConfigFromScenario(withoutQueue, 1).messagesPerMinute(0)).toBe(240);
    expect(queueConfigFromScenario(withoutRate, 1)).toMatchObject({ batchSize: 5 });
    expect(queueConfigFromScenario(withoutRate, 1).messagesPerMinute(0)).toBe(240);
  });

  it('times batches out at the function timeout the scenario gives its account, unless the queue gives its own', () => {
    const sqs = { name: 'x', trigger: 'sqs', queue: { messagesPerMinute: 60 }, stable: { errorRate: 0 }, account: { timeoutSeconds: 120 } } as const;

    expect(queueConfigFromScenario(parseScenario(sqs, 'x.json'), 1).functionTimeoutSeconds).toBe(120);
    expect(queueConfigFromScenario(parseScenario({ ...sqs, queue: { messagesPerMinute: 60, functionTimeoutSeconds: 9 } }, 'x.json'), 1).functionTimeoutSeconds).toBe(9);
    expect(queueConfigFromScenario(parseScenario({ ...sqs, account: {} }, 'x.json'), 1).functionTimeoutSeconds).toBe(QUEUE_DEFAULTS.functionTimeoutSeconds);
  });

  it('has no DLQ when the scenario says dlq: false', () => {
    const scenario = parseScenario({ name: 'x', trigger: 'sqs', queue: { messagesPerMinute: 1, dlq: false }, stable: { errorRate: 0 } }, 'x.json');

    expect(queueConfigFromScenario(scenario, 1).maxReceiveCount).toBeUndefined();
  });
});

describe('the queue’s day before the canary (stableQueueHistory)', () => {
  it('gives a quiet queue’s whole day, hour by hour, at stable’s failure rate', () => {
    const quiet = config({ messagesPerMinute: () => 5, stable: { ...config().stable, errorRate: 0.02 } });
    const hours = stableQueueHistory(quiet, 1, 24);
    const received = hours.reduce((total, hour) => total + hour.received, 0);
    const failures = received - hours.reduce((total, hour) => total + hour.deleted, 0);

    expect(hours).toHaveLength(24);
    expect(received).toBeGreaterThan(24 * 60 * 5 * 0.95);
    expect(failures / received).toBeGreaterThan(0.015);
    expect(failures / received).toBeLessThan(0.025);
  });

  it('gives a busy queue only its last hours: the message budget caps the run', () => {
    const busy = config({ messagesPerMinute: () => 600 });

    expect(stableQueueHistory(busy, 1, 24).length).toBeLessThan(24);
    expect(stableQueueHistory(busy, 1, 24).length).toBeGreaterThanOrEqual(1);
  });

  it('is drawn on its own stream: the same seed gives the same day, another seed another', () => {
    const quiet = config({ messagesPerMinute: () => 5 });

    expect(stableQueueHistory(quiet, 7, 3)).toEqual(stableQueueHistory(quiet, 7, 3));
    expect(stableQueueHistory(quiet, 7, 3)).not.toEqual(stableQueueHistory(quiet, 8, 3));
  });
});
