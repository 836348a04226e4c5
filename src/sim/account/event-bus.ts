/** The simulated account's EventBridge: what the state machine publishes, kept in order at its simulated time. */
import type { FaultInjector } from '../faults.ts';
import { revisionId } from './alias.ts';

/** An EventBridge event the state machine published. */
export interface PublishedEvent {
  /** Simulated time of publication. */
  at: string;
  eventBusName: string;
  source: string;
  detailType: string;
  detail: unknown;
}

export interface PutEventsEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  /** An object (Step Functions' putEvents integration) or a JSON string (the SDK). */
  Detail?: unknown;
}

export interface EventBus {
  readonly events: readonly PublishedEvent[];
  /** EventBridge `PutEvents`, through the fault hooks as `events.putEvents`. */
  putEvents(entries: PutEventsEntry[]): Promise<{ Entries: { EventId: string }[]; FailedEntryCount: number }>;
}

export function createEventBus(faults: FaultInjector, seed: number, now: () => Date): EventBus {
  const events: PublishedEvent[] = [];
  return {
    events,
    putEvents: async (entries) =>
      faults.call('events.putEvents', [entries], () => {
        const ids: { EventId: string }[] = [];
        for (const entry of entries) {
          const detail = typeof entry.Detail === 'string' ? safeJson(entry.Detail) : entry.Detail;
          events.push({
            at: now().toISOString(),
            eventBusName: entry.EventBusName ?? 'default',
            source: entry.Source ?? '',
            detailType: entry.DetailType ?? '',
            detail,
          });
          ids.push({ EventId: revisionId(seed ^ 0x65766e74, events.length) });
        }
        return { Entries: ids, FailedEntryCount: 0 };
      }),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
