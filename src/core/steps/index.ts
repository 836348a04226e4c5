/**
 * The canary's steps, one per Task state of statemachine/canary.asl.json. The Lambda handlers
 * (functions/*) and the local runner (src/local) both run exactly this code; only the ports differ.
 * Each step parses its payload, works through the ports, and returns the next execution state.
 * Errors are thrown, never swallowed, so the state machine's Retry and Catch see them.
 */
import type { Judge } from '../judge/index.ts';
import type { Ports } from '../ports.ts';
import { regionalStep } from '../regions.ts';
import type { CanaryState } from '../state.ts';
import { createCleanup, type CleanupOptions, type CleanupResult } from './cleanup.ts';
import { createEvaluate } from './evaluate.ts';
import { createPlan, type Skipped } from './plan.ts';
import { createPreTraffic } from './pre-traffic.ts';
import { createPromote } from './promote.ts';
import { createRedrive } from './redrive.ts';
import { createRestoreAfterPromotion } from './restore.ts';
import { createRollback } from './rollback.ts';
import { createShift } from './shift.ts';

export { OPT_IN_TAG, STRATEGY_TAG } from '../trust.ts';
// One factory per Task: a Lambda handler wires only its own step, to only the ports that step uses.
export { createCleanup, createEvaluate, createPlan, createPreTraffic, createPromote, createRedrive, createRestoreAfterPromotion, createRollback, createShift };
export { causeMessage } from './outcome.ts';
export type { CleanupResult, Skipped };

export interface Steps {
  plan(payload: unknown): Promise<CanaryState | Skipped>;
  preTraffic(payload: unknown): Promise<CanaryState>;
  shift(payload: unknown): Promise<CanaryState>;
  evaluate(payload: unknown): Promise<CanaryState>;
  promote(payload: unknown): Promise<CanaryState>;
  rollback(payload: unknown): Promise<unknown>;
  /** The canary's "Restore the stable version" (the Restore function, given a canary's state). */
  restore(payload: unknown): Promise<CanaryState>;
  redrive(payload: unknown): Promise<CanaryState>;
  cleanup(event: unknown): Promise<CleanupResult>;
}

/**
 * Wires the steps to a set of ports.
 *
 * @example
 * const steps = createSteps(account.ports, { judge: assess });
 * const state = await steps.shift(payload);
 */
export function createSteps(ports: Ports, options: { judge: Judge; cleanup?: CleanupOptions }): Steps {
  return createRegionalSteps(() => ports, options);
}

/**
 * Wires each step, for each payload, to the ports of the region that payload names
 * (src/core/regions.ts): how a canary of a function in another region runs from one stack.
 *
 * @example
 * const steps = createRegionalSteps((region) => accounts.get(region ?? home)!.ports, { judge: assess });
 */
export function createRegionalSteps(portsIn: (region: string | undefined) => Ports, options: { judge: Judge; cleanup?: CleanupOptions }): Steps {
  return {
    plan: regionalStep((region) => createPlan(portsIn(region))),
    preTraffic: regionalStep((region) => createPreTraffic(portsIn(region))),
    shift: regionalStep((region) => createShift(portsIn(region))),
    evaluate: regionalStep((region) => createEvaluate(portsIn(region), options.judge)),
    promote: regionalStep((region) => createPromote(portsIn(region))),
    rollback: regionalStep((region) => createRollback(portsIn(region))),
    restore: regionalStep((region) => createRestoreAfterPromotion(portsIn(region))),
    redrive: regionalStep((region) => createRedrive(portsIn(region))),
    cleanup: createCleanup({ executions: portsIn(undefined).executions, in: portsIn }, options.cleanup),
  };
}
