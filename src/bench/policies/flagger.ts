/**
 * Flagger's canary analysis with its documented defaults (fluxcd/flagger, pkg/controller/scheduler.go,
 * docs "How it works"): every `interval` (1 minute) the builtin `request-success-rate` check must be
 * ≥ 99% for the canary's requests in the last minute. A failed check (or a minute with no canary
 * requests: "no values found") adds one to `failedChecks` and holds the weight; at the next tick,
 * `failedChecks ≥ threshold` (5) rolls back. A passed check adds `stepWeight` (10) up to `maxWeight`
 * (50); a passed check at `maxWeight` promotes. Failed checks are never reset during a run.
 */
import type { ObservedMinute, Policy, PolicyAction } from '../policy.ts';

const STEP_WEIGHT = 10;
const MAX_WEIGHT = 50;
const THRESHOLD = 5;
const MIN_SUCCESS_RATE = 0.99;

export const flaggerPolicy: Policy = {
  name: 'flagger-threshold',
  summary: 'Flagger defaults: 1-minute interval, success rate ≥ 99%, threshold 5 failed checks, stepWeight 10, maxWeight 50',
  start() {
    // Flagger's first tick only sets the first step; the analysis starts at the next one.
    let weight = STEP_WEIGHT;
    let failedChecks = 0;
    return {
      weight: () => weight,
      observe(minute: ObservedMinute): PolicyAction {
        if (failedChecks >= THRESHOLD) return 'rollback';
        const { invocations, errors } = minute.candidate;
        const passed = invocations > 0 && (invocations - errors) / invocations >= MIN_SUCCESS_RATE;
        if (!passed) {
          failedChecks++;
          return 'continue';
        }
        if (weight < MAX_WEIGHT) {
          weight = Math.min(MAX_WEIGHT, weight + STEP_WEIGHT);
          return 'continue';
        }
        return 'promote';
      },
    };
  },
};
