/**
 * AWS CodeDeploy's `CodeDeployDefault.LambdaCanary10Percent5Minutes` with a CloudWatch alarm on the
 * alias (both versions together), one datapoint of one minute: 10% for 5 minutes, then 100%. An
 * alarm in ALARM during the deployment rolls it back; once traffic is at 100% the deployment is
 * over and nothing watches any more.
 * - `codedeploy-alarm`: the alarm fires when the alias' error rate in a minute is above twice the
 *   function's usual rate, and at least 1% — what someone who knows their function would set.
 * - `codedeploy-alarm-strict`: the alarm fires on any error (`Errors > 0`, the SAM examples' alarm).
 */
import type { ObservedMinute, Policy, PolicyAction, PolicyContext } from '../policy.ts';

const CANARY_WEIGHT = 10;
const CANARY_MINUTES = 5;

function codedeploy(name: string, summary: string, threshold: (context: PolicyContext) => number): Policy {
  return {
    name,
    summary,
    start(context) {
      const limit = threshold(context);
      return {
        weight: () => CANARY_WEIGHT,
        observe(minute: ObservedMinute): PolicyAction {
          const invocations = minute.stable.invocations + minute.candidate.invocations;
          const errors = minute.stable.errors + minute.candidate.errors;
          // The alarm's metric math is Errors / Invocations; a minute without invocations is missing data (not breaching).
          if (invocations > 0 && errors / invocations > limit) return 'rollback';
          return minute.minute + 1 >= CANARY_MINUTES ? 'promote' : 'continue';
        },
      };
    },
  };
}

export const codedeployAlarmPolicy = codedeploy(
  'codedeploy-alarm',
  'CodeDeploy Canary10Percent5Minutes; alarm: alias error rate > max(1%, 2 × usual) in a 1-minute datapoint',
  (context) => Math.max(0.01, 2 * context.truth.stableErrorRate),
);

export const codedeployAlarmStrictPolicy = codedeploy(
  'codedeploy-alarm-strict',
  'CodeDeploy Canary10Percent5Minutes; alarm: any alias error in a 1-minute datapoint',
  () => 0,
);
