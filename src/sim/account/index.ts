/** The simulated AWS account (account.ts) and what it is made of: its settings, clock and traffic, alias, metrics and event bus. */
export { createSimAccount, defaultSource, type SimAccount, type SimAccountOptions } from './account.ts';
export type { PublishedEvent, PutEventsEntry } from './event-bus.ts';
export { accountSettings, SIM_START, simAccountSettingsSchema, type SimAccountSettings } from './settings.ts';
export type { SeriesPoint, SimClock, SimMinute } from './timeline.ts';
