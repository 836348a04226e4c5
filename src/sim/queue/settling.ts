/**
 * How long the simulated queue runs before anything counts as its past. Imports nothing, so the
 * account's timeline (src/sim/account/settings.ts) and the queue model can both use it.
 */

/**
 * Minutes a failing message lives in the queue: every receive it gets (`maxReceiveCount`, or five
 * without a DLQ), each a visibility timeout and a batching window long. The queue starts empty, so
 * the simulation runs this long before it counts anything as the queue's past (its baseline, its day
 * before): a real queue has been running for days, and its figures include the retries and dead
 * letters of messages first received long before.
 */
export function queueSettlingMinutes(config: { maxReceiveCount?: number; visibilityTimeoutSeconds: number; batchingWindowSeconds: number }): number {
  return Math.ceil(((config.maxReceiveCount ?? 5) * (config.visibilityTimeoutSeconds + config.batchingWindowSeconds)) / 60);
}
