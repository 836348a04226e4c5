/**
 * Guardrails: absolute limits that roll back at once, whatever the comparison with stable says —
 * the candidate's error rate, its throttle rate, and (when the request sets `maxP99Ms`) its p99.
 *
 * A limit read off one noisy minute would false-alarm (a 2%-baseline function's canary of 60
 * requests a minute sees 3/60 = 5% minutes), so each limit trips only on statistical evidence that
 * the candidate's true figure is beyond it. Their false alarms are counted in the α budget:
 * guardrails share GUARDRAIL_ALPHA_SHARE of α, a third each (the rate bounds spend theirs over the
 * looks as δ·6/(π²t²); the p99 e-process needs no such split).
 *
 * - error and throttle rates: a Chernoff bound on the look's window (x of n beyond the limit);
 * - p99: CloudWatch gives the minute's p99, not counts beyond the limit. If the true p99 is within
 *   the limit, a minute of n invocations shows a p99 above it with probability at most
 *   q = P(Binomial(n, 1%) ≥ n − ⌈0.99n⌉ + 1) (distribution-free), so each minute's "above / not
 *   above" feeds an e-process (alternative: above with probability 0.95). It trips after a run of
 *   minutes above the limit (about 6 minutes in a row at 100 requests a minute, 8 at 300), never on
 *   one minute.
 */
import type { CheckInput, CheckResult, JudgeCheck } from './check.ts';
import { formatCount, formatRate } from './check.ts';
import { binomialUpperTail, lookLevel, rateExceeds } from './stats.ts';
import { round } from '../round.ts';

/** Share of α that the guardrails spend, in all. */
export const GUARDRAIL_ALPHA_SHARE = 0.1;
const GUARDRAIL_KINDS = 3;
/** The p99 e-process' alternative: a minute's p99 is above the limit with this probability. */
const P99_ALTERNATIVE = 0.95;

interface GuardrailMemory {
  /** ln of the p99 e-process. */
  p99: number;
}

function readMemory(memory: unknown): GuardrailMemory {
  const p99 = (memory as Partial<GuardrailMemory> | undefined)?.p99;
  return { p99: typeof p99 === 'number' && Number.isFinite(p99) ? p99 : 0 };
}

export const guardrailsCheck: JudgeCheck = {
  name: 'guardrails',
  alphaWeight: 0,
  applies: () => true,
  run({ judge, window, look, memory }: CheckInput): CheckResult {
    const { settings } = judge;
    const state = readMemory(memory);
    const kindAlpha = (settings.alpha * GUARDRAIL_ALPHA_SHARE) / GUARDRAIL_KINDS;
    // Fixed-sample bounds on this look's window spend a shrinking part of their share at each look;
    // the p99 e-process is valid at every look by itself (Ville), so it gets its share whole.
    const delta = lookLevel(kindAlpha, look);
    const reasons: string[] = [];
    const { candidate } = window;

    if (rateExceeds(candidate.invocations, candidate.errors, settings.maxErrorRate, delta)) {
      reasons.push(
        `guardrail: the candidate's error rate is above the ${formatRate(settings.maxErrorRate)} limit ` +
          `(${formatCount(candidate.errors)} errors in ${formatCount(candidate.invocations)} requests, ${formatRate(candidate.errors / candidate.invocations)})`,
      );
    }
    const attempts = candidate.invocations + candidate.throttles;
    if (rateExceeds(attempts, candidate.throttles, settings.maxThrottleRate, delta)) {
      reasons.push(
        `guardrail: the candidate is throttled above the ${formatRate(settings.maxThrottleRate)} limit ` +
          `(${formatCount(candidate.throttles)} of ${formatCount(attempts)} attempts, ${formatRate(candidate.throttles / attempts)})`,
      );
    }

    let minutesAbove = 0;
    let worstP99 = 0;
    if (settings.maxP99Ms !== undefined) {
      for (const { candidate: c } of window.paired) {
        if (c.p99Ms === undefined || c.invocations <= 0) continue;
        const beyondRank = c.invocations - Math.ceil(0.99 * c.invocations) + 1;
        const q = Math.min(0.99, binomialUpperTail(c.invocations, 0.01, beyondRank));
        if (c.p99Ms > settings.maxP99Ms) {
          minutesAbove++;
          worstP99 = Math.max(worstP99, c.p99Ms);
          state.p99 += Math.log(P99_ALTERNATIVE / q);
        } else {
          state.p99 += Math.log((1 - P99_ALTERNATIVE) / (1 - q));
        }
      }
      if (state.p99 >= Math.log(1 / kindAlpha)) {
        reasons.push(`guardrail: the candidate's p99 is above the ${formatCount(settings.maxP99Ms)} ms limit (${plural(minutesAbove)} above it in this window, up to ${formatCount(worstP99)} ms)`);
      }
    }

    const figures = {
      candidateWindowErrorRate: candidate.invocations > 0 ? round(candidate.errors / candidate.invocations, 5) : null,
      candidateWindowThrottleRate: attempts > 0 ? round(candidate.throttles / attempts, 5) : null,
      maxErrorRate: settings.maxErrorRate,
      maxThrottleRate: settings.maxThrottleRate,
      ...(settings.maxP99Ms === undefined ? {} : { maxP99Ms: settings.maxP99Ms, p99GuardrailEvidence: round(Math.exp(state.p99), 3) }),
    };
    const within = [
      `errors ${candidate.invocations > 0 ? formatRate(candidate.errors / candidate.invocations) : '—'} (limit ${formatRate(settings.maxErrorRate)})`,
      `throttles ${attempts > 0 ? formatRate(candidate.throttles / attempts) : '—'} (limit ${formatRate(settings.maxThrottleRate)})`,
      ...(settings.maxP99Ms === undefined ? [] : [`p99 above ${formatCount(settings.maxP99Ms)} ms in ${plural(minutesAbove)}`]),
    ].join(', ');
    const summary = reasons.length > 0 ? `${reasons[0]!.replace(/^guardrail: /, '')}: roll back` : `within limits in this window: ${within}`;
    return { phase: reasons.length > 0 ? 'fail' : 'pass', reasons, summary, figures, memory: { p99: round(state.p99, 4) } };
  },
};

function plural(minutes: number): string {
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
