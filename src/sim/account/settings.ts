/**
 * The simulated account's function, alias and versions, and where its clock starts. A scenario may
 * set any of these under `account`.
 */
import * as z from 'zod';
import { InvalidRequestError } from '../../core/errors.ts';
import type { Scenario } from '../scenario.ts';

export const MINUTE_MS = 60_000;
export const REGION = 'us-east-1';
export const ACCOUNT_ID = '123456789012';

/** Where the simulated clock starts: the canary begins here, after the warm-up minutes. */
export const SIM_START = '2026-01-05T09:00:00.000Z';

/**
 * The simulated function, alias and versions. A scenario may set any of these under `account`.
 * Published versions are "1" up to the larger of the two versions.
 */
export const simAccountSettingsSchema = z.strictObject({
  functionName: z.string().regex(/^[a-zA-Z0-9-_]{1,64}$/, 'letters, digits, - and _ (1-64)').default('checkout'),
  alias: z.string().regex(/^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$/, 'letters, digits, - and _ (1-128), not all digits').default('live'),
  stableVersion: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^[1-9][0-9]{0,5}$/, 'a version number')).default('12'),
  candidateVersion: z.union([z.string(), z.number()]).transform(String).pipe(z.string().regex(/^[1-9][0-9]{0,5}$/, 'a version number')).default('13'),
  /** The alias' description before any canary. */
  description: z.string().max(256).default(''),
  tags: z.record(z.string(), z.string()).default({}),
  timeoutSeconds: z.number().int().min(1).max(900).default(30),
  /** CloudWatch alarms in the account, by name, and their state at the start (release gates). */
  alarms: z.record(z.string(), z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA'])).default({}),
  /** The region the function lives in (a release simulates one function per target, each in its region). */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region name, e.g. eu-west-1').default(REGION),
  /** The function's memory in MB, every version's (Lambda's default, 128, unless set): what durations are billed at. */
  memoryMB: z.number().int().min(128).max(10_240).default(128),
  /** The function's reserved concurrency (none unless set; the traffic model throttles beyond it), and the account's unreserved pool (Lambda's default quota, 1,000). */
  reservedConcurrency: z.number().int().min(0).max(100_000).optional(),
  unreservedConcurrency: z.number().int().min(0).max(1_000_000).default(1000),
});

export type SimAccountSettings = z.output<typeof simAccountSettingsSchema>;

/** Reads a scenario's optional `account` field; bad values are bad input, named by field. */
export function accountSettings(scenario: Scenario): SimAccountSettings {
  // Only a missing account means the defaults: `"account": null` is a wrong type, not "none".
  const parsed = simAccountSettingsSchema.safeParse((scenario as Record<string, unknown>)['account'] === undefined ? {} : scenario['account']);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidRequestError(`${scenario.source}: account${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
  }
  if (parsed.data.stableVersion === parsed.data.candidateVersion) {
    throw new InvalidRequestError(`${scenario.source}: account.candidateVersion: equals stableVersion (${parsed.data.stableVersion})`);
  }
  return parsed.data;
}
