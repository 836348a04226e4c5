/**
 * The SQS queue model: a seeded, event-driven queue feeding a Lambda alias through an event source
 * mapping (model.ts), its configuration from a scenario (config.ts), what it records (records.ts),
 * and its seam into the simulated account (account-source.ts).
 */
export { queueConfigFromScenario, QUEUE_DEFAULTS, validateQueueConfig, type QueueConfig, type QueueScenarioExtensions, type QueueVersionBehaviour } from './config.ts';
export { MAPPING_TARGETS, queueMinuteSource, type QueueAccountSettings, type QueueMinuteSource } from './account-source.ts';
export { stableQueueHistory } from './history.ts';
export { SimulatedQueue } from './model.ts';
export { cloudWatchQueueMinute, MESSAGE_STATES, type MessageState, type QueueAccounting, type QueueMinuteRecord, type QueueVersionRecord } from './records.ts';
