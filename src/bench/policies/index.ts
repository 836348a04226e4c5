import type { Policy } from '../policy.ts';
import { coalminePolicy } from './coalmine.ts';
import { codedeployAlarmPolicy, codedeployAlarmStrictPolicy } from './codedeploy.ts';
import { flaggerPolicy } from './flagger.ts';
import { kayentaPolicy } from './kayenta.ts';
import { sprtOraclePolicy } from './oracle.ts';

/** Every policy the benchmark knows, by name; the first five are the contract's (docs/contract.md §1). */
export const POLICIES: Readonly<Record<string, Policy>> = Object.freeze({
  coalmine: coalminePolicy,
  'codedeploy-alarm': codedeployAlarmPolicy,
  'flagger-threshold': flaggerPolicy,
  'kayenta-mann-whitney': kayentaPolicy,
  'sprt-oracle': sprtOraclePolicy,
  'codedeploy-alarm-strict': codedeployAlarmStrictPolicy,
});

/** What `coalmine bench` runs when no --policies are given. */
export const DEFAULT_POLICIES: readonly string[] = ['coalmine', 'codedeploy-alarm', 'flagger-threshold', 'kayenta-mann-whitney', 'sprt-oracle'];
