/**
 * Plan's look at the function's event sources: an SQS mapping on the alias makes this an
 * event-driven canary. (Placeholder wiring until src/core/sqs.ts lands: API functions only.)
 */
import type { FunctionInfo, QueueInspector } from './ports.ts';
import type { PlanQueue } from './state.ts';
import type { Strategy } from './strategy.ts';

export interface DiscoveredQueue {
  plan: PlanQueue;
  warnings: string[];
  defaultStrategy: Strategy;
}

export async function discoverQueue(_input: { queues: QueueInspector; fn: FunctionInfo; alias: string; allowFifo: boolean }): Promise<DiscoveredQueue | undefined> {
  return undefined;
}
