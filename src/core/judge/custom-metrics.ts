/**
 * Custom business metrics from the request (any CloudWatch metric with a version dimension):
 * - `count` metrics (events per minute, e.g. failed checkouts) are compared with stable in the same
 *   minutes by the paired test, on the side their `direction` says is worse;
 * - `gauge` metrics (an average, e.g. basket value) have no counts to test, so they are guardrails:
 *   with a `limit`, two consecutive minutes beyond it roll back (one noisy minute does not; like a
 *   CloudWatch alarm's "2 of 2 datapoints"). A gauge without a limit is shown, not judged.
 * A minute in which one version reports the metric and the other, with traffic, does not is missing
 * data: never read as zero.
 */
import type { CustomMetric } from './settings.ts';
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';

import { compactPaired, judgePaired, readPaired, updatePaired, type PairedObservation } from './paired.ts';
import { noHarmYet, sure, worseRange } from './wording.ts';
import { round } from '../round.ts';

/** Consecutive minutes beyond a gauge's limit that roll back. */
export const GAUGE_MINUTES_BEYOND_LIMIT = 2;

export function customMetricChecks(metrics: CustomMetric[]): JudgeCheck[] {
  return metrics.map((metric) => (metric.kind === 'count' ? countCheck(metric) : gaugeCheck(metric)));
}

function countCheck(metric: CustomMetric): JudgeCheck {
  return {
    name: `custom:${metric.id}`,
    alphaWeight: 1,
    applies: () => true,
    run({ judge, window, alpha, memory }: CheckInput): CheckResult {
      const observations: PairedObservation[] = [];
      let missing = 0;
      for (const { candidate: c, stable: s } of window.paired) {
        const xC = c.custom?.[metric.id];
        const xS = s.custom?.[metric.id];
        if (xC === undefined && xS === undefined) {
          observations.push({ nC: c.invocations, nS: s.invocations, xC: 0, xS: 0 });
        } else if ((xC === undefined && c.invocations > 0) || (xS === undefined && s.invocations > 0)) {
          missing++;
        } else {
          observations.push({ nC: c.invocations, nS: s.invocations, xC: xC ?? 0, xS: xS ?? 0 });
        }
      }
      const test = updatePaired(readPaired(memory), observations);
      const verdict = judgePaired(test, metric.direction, alpha);
      const [nC, nS] = test.n;
      const [xC, xS] = test.x;
      const perC = nC > 0 ? xC / nC : 0;
      const perS = nS > 0 ? xS / nS : 0;
      const figures = {
        [`${metric.id}Candidate`]: xC,
        [`${metric.id}Stable`]: xS,
        [`${metric.id}PerThousandCandidate`]: round(perC * 1000, 3),
        [`${metric.id}PerThousandStable`]: round(perS * 1000, 3),
        [`${metric.id}Evidence`]: round(verdict.evidence, 3),
        [`${metric.id}EvidenceNeeded`]: round(verdict.needed, 1),
      };
      const comparison = `${metric.id}: ${perRequests(perC)} per 1,000 candidate requests vs ${perRequests(perS)} for stable`;
      const worse = metric.direction === 'higherIsWorse' ? 'higher' : 'lower';
      if (verdict.worse) {
        const summary = `candidate's ${metric.id} is ${worse}: ${worseRange(verdict, metric.direction)} stable's per request, ${sure(judge.settings.alpha)}: roll back`;
        return {
          phase: 'fail',
          reasons: [`${summary}; ${comparison}`],
          summary,
          figures,
          memory: compactPaired(test),
        };
      }
      if (missing > 0) {
        const reason = `${metric.id} missing for one version in ${missing} minute${missing === 1 ? '' : 's'}`;
        return { phase: 'inconclusive', reasons: [reason], summary: `${reason}; ${comparison}`, figures, memory: compactPaired(test) };
      }
      return {
        phase: 'pass',
        reasons: [`no regression in ${comparison}; ${noHarmYet(verdict, metric.direction)}`],
        summary: `${noHarmYet(verdict, metric.direction)} (${comparison})`,
        figures,
        memory: compactPaired(test),
      };
    },
  };
}

function perRequests(rate: number): string {
  return String(Number((rate * 1000).toPrecision(3)));
}

/** A gauge's value for people: a few significant digits. */
function gaugeValue(value: number): string {
  return String(Number(value.toPrecision(4)));
}

function gaugeCheck(metric: CustomMetric): JudgeCheck {
  return {
    name: `custom:${metric.id}`,
    alphaWeight: 0,
    applies: () => true,
    run({ window, memory }: CheckInput): CheckResult {
      let beyond = typeof (memory as { beyond?: unknown } | undefined)?.beyond === 'number' ? (memory as { beyond: number }).beyond : 0;
      let missing = 0;
      let last: number | undefined;
      for (const { candidate: c } of window.paired) {
        const value = c.custom?.[metric.id];
        if (value === undefined) {
          if (c.invocations > 0) missing++;
          continue;
        }
        last = value;
        if (metric.limit === undefined) continue;
        const isBeyond = metric.direction === 'higherIsWorse' ? value > metric.limit : value < metric.limit;
        beyond = isBeyond ? beyond + 1 : 0;
      }
      const figures = { [`${metric.id}Latest`]: last === undefined ? null : round(last, 4), ...(metric.limit === undefined ? {} : { [`${metric.id}Limit`]: metric.limit }) };
      const side = metric.direction === 'higherIsWorse' ? 'above' : 'below';
      const latest = `candidate's latest ${last === undefined ? '—' : gaugeValue(last)}`;
      if (metric.limit !== undefined && beyond >= GAUGE_MINUTES_BEYOND_LIMIT) {
        const reason = `guardrail: the candidate's ${metric.id} is ${side} its limit ${metric.limit} for ${beyond} minutes in a row (latest ${last === undefined ? '—' : gaugeValue(last)})`;
        return { phase: 'fail', reasons: [reason], summary: `${metric.id} ${side} its limit ${metric.limit} for ${beyond} minutes in a row (${latest}): roll back`, figures, memory: { beyond } };
      }
      // A gauge without a limit judges nothing, so its missing minutes hide nothing: they must not hold the canary.
      if (missing > 0 && metric.limit !== undefined) {
        const reason = `${metric.id} missing for the candidate in ${missing} minute${missing === 1 ? '' : 's'}`;
        return { phase: 'inconclusive', reasons: [reason], summary: reason, figures, memory: { beyond } };
      }
      const reasons = metric.limit === undefined ? [`${metric.id} is a gauge without a limit: shown, not judged`] : [];
      const summary = metric.limit === undefined
        ? `${metric.id}: ${latest}; a gauge without a limit is shown, not judged`
        : `${metric.id}: ${latest}, limit ${metric.limit} (${side} it for ${beyond} minute${beyond === 1 ? '' : 's'} in a row)`;
      return { phase: 'pass', reasons, summary, figures, memory: { beyond } };
    },
  };
}
