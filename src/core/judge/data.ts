/**
 * Missing data is never read as healthy. A look with a failed metrics query, or with one version
 * silent while the other had traffic, is inconclusive (it may still fail on what it did read), and
 * looks that keep failing are called out so a person can fix the query or the permissions.
 */
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';

/** Consecutive troubled looks from which the reasons say "repeatedly". */
const REPEATED = 2;

export const dataCheck: JudgeCheck = {
  name: 'data',
  alphaWeight: 0,
  applies: () => true,
  run({ judge, window, memory }: CheckInput): CheckResult {
    const failures = judge.window.failures;
    const previous = typeof (memory as { troubled?: unknown } | undefined)?.troubled === 'number' ? (memory as { troubled: number }).troubled : 0;
    const troubled = failures.length > 0 || window.missing.length > 0 ? previous + 1 : 0;
    const figures = { measurementFailures: failures.length, missingMinutes: window.missingMinutes, troubledLooks: troubled };
    if (troubled === 0) return { phase: 'pass', reasons: [], summary: 'every settled minute has data for both versions', figures, memory: { troubled } };
    const reasons: string[] = [];
    if (failures.length > 0) {
      const metrics = [...new Set(failures.map((failure) => failure.metric))].join(', ');
      reasons.push(`metrics missing: the query for ${metrics} failed (${failures[0]!.message})`);
    }
    reasons.push(...window.missing.map((missing) => `metrics missing: ${missing}`));
    if (troubled >= REPEATED) reasons.push(`metrics have been missing at ${troubled} looks in a row: check the metrics queries and Coalmine's permissions`);
    return { phase: 'inconclusive', reasons, summary: reasons.join('; '), figures, memory: { troubled } };
  },
};
