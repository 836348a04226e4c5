/**
 * The queue's day before a canary, as Plan reads it from CloudWatch (hourly NumberOfMessagesReceived
 * and NumberOfMessagesDeleted): a stable-only run of the same queue on a stream of its own, so that
 * "yesterday" is drawn independently of the canary's minutes.
 */
import { mixSeed } from '../random.ts';
import type { QueueConfig } from './config.ts';
import { queueSettlingMinutes } from './settling.ts';
import { SimulatedQueue } from './model.ts';
import { cloudWatchQueueMinute } from './records.ts';

/**
 * The most messages a history run simulates: a full day at up to about 70 a minute, fewer hours
 * above. Plan needs the day only where the baseline is thin (quiet queues); a busy queue's last few
 * hours say as much, and a full simulated day at 600 a minute costs over a second a run.
 */
const HISTORY_MESSAGE_BUDGET = 100_000;

/** Mixed into the seed for the history's own stream. */
const HISTORY_STREAM = 0x686973;

/**
 * Up to `hours` whole hours of the queue served by stable alone, oldest first (fewer when the
 * message budget runs out first: the hours nearest the baseline).
 *
 * @example
 * stableQueueHistory(queueConfigFromScenario(scenario, 1), 1, 24); // [{ received: 300, deleted: 298 }, …]
 */
export function stableQueueHistory(config: QueueConfig, seed: number, hours: number): Array<{ received: number; deleted: number }> {
  if (hours <= 0) return [];
  let firstHour = 0;
  for (let minute = 0; minute < 60; minute++) firstHour += Math.max(0, config.messagesPerMinute(minute));
  const simulated = Math.max(1, Math.min(hours, Math.floor(HISTORY_MESSAGE_BUDGET / Math.max(1, firstHour))));
  // The queue starts empty: its hours count once a failing message's whole life has passed.
  const settling = queueSettlingMinutes(config);
  const model = new SimulatedQueue(config, mixSeed(seed, HISTORY_STREAM));
  model.advanceTo((settling + simulated * 60) * 60);
  const sums = Array.from({ length: simulated }, () => ({ received: 0, deleted: 0 }));
  model.minutes().forEach((record, minute) => {
    if (minute < settling) return;
    const hour = sums[Math.floor((minute - settling) / 60)];
    if (!hour) return;
    const counted = cloudWatchQueueMinute(record);
    hour.received += counted.received;
    hour.deleted += counted.deleted;
  });
  return sums;
}
