/**
 * Execution names. `coalmine start` names the execution after what it deploys, so that a retried CI
 * job or a duplicate event lands on the same name: Step Functions then refuses a second execution
 * (or joins the running one), and no second canary starts on the same alias. The local runner names
 * its executions by the same rule, so a local run reads like the deployed one.
 */
import { createHash } from 'node:crypto';

/** Step Functions allows up to 80 characters; we keep to the ones that need no escaping anywhere. */
export const MAX_EXECUTION_NAME_LENGTH = 80;
const HASH_LENGTH = 8;

/** `arn:aws:lambda:region:account:function:NAME` (or `account:function:NAME`) → `NAME`. */
export function functionNameOf(functionNameOrArn: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(functionNameOrArn);
  return match ? match[1]! : functionNameOrArn;
}

function readable(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]/g, '-');
}

/**
 * The execution name for deploying `version` of `functionName` behind `alias`: readable, then a
 * short hash of the exact three values. The hash is always there because function and alias names
 * may themselves contain `-` and `_` (so `a-b` + `c` and `a` + `b-c` must still differ), and because
 * long names are cut to fit 80 characters.
 *
 * @example
 * executionNameFor('checkout-api', 'live', '13'); // → 'checkout-api_live_v13_<8 hex digits>'
 */
export function executionNameFor(functionName: string, alias: string, version: string): string {
  const name = functionNameOf(functionName);
  const hash = createHash('sha256').update(JSON.stringify([name, alias, version])).digest('hex').slice(0, HASH_LENGTH);
  const prefix = `${readable(name)}_${readable(alias)}_v${readable(version)}`;
  return `${prefix.slice(0, MAX_EXECUTION_NAME_LENGTH - HASH_LENGTH - 1)}_${hash}`;
}

/** The part every execution name for `functionName` starts with (for `coalmine list --function`). */
export function executionNamePrefixFor(functionName: string): string {
  return `${readable(functionNameOf(functionName))}_`.slice(0, MAX_EXECUTION_NAME_LENGTH - HASH_LENGTH - 1);
}
