/**
 * The judge: after every Bake, the settled minutes go in and a phase comes out — `fail` (roll back
 * now), `pass` (evidence enough to leave this step; on the final step, to promote) or
 * `inconclusive` — with the reasons and figures a person reads in the console. The clock is not the
 * judge's business: decide() (src/core/decide.ts) adds step timing and the extension limit.
 *
 * The false-rollback budget α (settings.alpha) is split: GUARDRAIL_ALPHA_SHARE of it over the
 * guardrails, the rest over the sequential tests by their `alphaWeight` (errors 2, the durations 1
 * — latency ½ and cost ½ —, cold starts ½, each custom count metric 1, plug-in checks as they declare). Every test is anytime-valid, so the
 * chance that a canary as good as stable is ever rolled back by them stays below α however often
 * Coalmine looks.
 *
 * @example
 * const assessment = assess({ memory: undefined, window, baseline, context, settings });
 * assessment.phase;   // 'inconclusive' until the step has seen enough requests
 * assessment.memory;  // pass it back as `memory` at the next look
 */
import { coldStartCheck } from './cold-starts.ts';
import { concurrencyCheck } from './concurrency.ts';
import { costCheck } from './cost.ts';
import { dataCheck } from './data.ts';
import { customMetricChecks } from './custom-metrics.ts';
import { errorRateCheck } from './error-rate.ts';
import { GUARDRAIL_ALPHA_SHARE, guardrailsCheck } from './guardrails.ts';
import { latencyCheck, NO_LATENCY_BASELINE, NO_LATENCY_VERDICT } from './latency.ts';
import { queueChecks } from './queue-checks.ts';
import { summariseWindow, type CheckResult, type JudgeCheck } from './check.ts';
import type { Assessment, CheckVerdict, Figures, JudgeInput, JudgeMemory, JudgePhase } from './types.ts';

const MEMORY_VERSION = 1;

interface AssessMemory {
  v: number;
  /** Looks so far (the guardrails spread their budget over them). */
  look: number;
  /** Each check's memory by its name. */
  checks: Record<string, unknown>;
}

function readMemory(memory: JudgeMemory | undefined): AssessMemory {
  if (memory && memory['v'] === MEMORY_VERSION && typeof memory['look'] === 'number' && memory['checks'] !== null && typeof memory['checks'] === 'object') {
    return { v: MEMORY_VERSION, look: memory['look'], checks: memory['checks'] as Record<string, unknown> };
  }
  return { v: MEMORY_VERSION, look: 0, checks: {} };
}

/** Every check that judges this canary, in the order their reasons are listed. */
export function judgeChecks(input: JudgeInput): JudgeCheck[] {
  const all: JudgeCheck[] = [
    guardrailsCheck,
    errorRateCheck,
    latencyCheck,
    costCheck,
    coldStartCheck,
    concurrencyCheck,
    ...customMetricChecks(input.settings.customMetrics),
    ...(input.context.trigger === 'sqs' ? queueChecks : []),
    dataCheck,
  ];
  return all.filter((check) => check.applies(input));
}

/**
 * Judges one look. Pure: the same input gives the same assessment.
 */
export function assess(input: JudgeInput): Assessment {
  const memory = readMemory(input.memory);
  const look = memory.look + 1;
  const window = summariseWindow(input.window.minutes, input.context.weight);
  const judged = judgeChecks(input);
  const totalWeight = judged.reduce((sum, check) => sum + check.alphaWeight, 0);
  const testAlpha = input.settings.alpha * (1 - GUARDRAIL_ALPHA_SHARE);

  const results: Array<{ check: JudgeCheck; result: CheckResult }> = judged.map((check) => ({
    check,
    result: check.run({
      judge: input,
      window,
      look,
      alpha: check.alphaWeight > 0 ? (testAlpha * check.alphaWeight) / totalWeight : 0,
      memory: memory.checks[check.name],
    }),
  }));

  const phase = combine(results.map(({ result }) => result.phase));
  const reasons = [
    ...reasonsOf(results, 'fail'),
    ...reasonsOf(results, 'inconclusive'),
    ...(phase === 'fail' ? [] : reasonsOf(results, 'pass')),
  ];
  if (input.baseline.latencyThresholdMs === undefined) reasons.push(NO_LATENCY_BASELINE);

  const figures: Figures = { look, minutesInWindow: window.minutes };
  const checksMemory: Record<string, unknown> = {};
  for (const { check, result } of results) {
    Object.assign(figures, result.figures);
    if (result.memory !== undefined) checksMemory[check.name] = result.memory;
  }
  const checks = verdicts(results);
  if (input.baseline.latencyThresholdMs === undefined) checks.push({ ...NO_LATENCY_VERDICT, figures: {} });
  return { phase, reasons, checks, figures, memory: { v: MEMORY_VERSION, look, checks: checksMemory } };
}

const PHASE_ORDER: Record<JudgePhase, number> = { fail: 0, inconclusive: 1, pass: 2 };

/** Each check's verdict, the decisive first: what rolls back, then what holds, then what passed. */
function verdicts(results: Array<{ check: JudgeCheck; result: CheckResult }>): CheckVerdict[] {
  return results
    .map(({ check, result }, index) => ({ index, verdict: { name: check.name, phase: result.phase, summary: result.summary, figures: result.figures } }))
    .sort((a, b) => PHASE_ORDER[a.verdict.phase] - PHASE_ORDER[b.verdict.phase] || a.index - b.index)
    .map(({ verdict }) => verdict);
}

function combine(phases: JudgePhase[]): JudgePhase {
  if (phases.includes('fail')) return 'fail';
  if (phases.includes('inconclusive')) return 'inconclusive';
  return 'pass';
}

function reasonsOf(results: Array<{ result: CheckResult }>, phase: JudgePhase): string[] {
  return results.filter(({ result }) => result.phase === phase).flatMap(({ result }) => result.reasons);
}
