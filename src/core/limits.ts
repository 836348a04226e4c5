/**
 * What AWS would refuse later, checked by Plan before the alias is touched. Each refusal is a
 * PlanLimitError (bad input: the CLI exits 2) whose one line gives the numbers and what to change.
 *
 * The limits, from AWS's documentation:
 * - Step Functions standard workflows: at most 25,000 events in an execution's history, and 256 KiB
 *   of data passed between states. Coalmine's state machine itself times an execution out after
 *   48 hours (TimeoutSeconds in statemachine/canary.asl.json).
 * - CloudWatch GetMetricData: query ids unique within a request; at most 30 dimensions per metric.
 * - Lambda weighted aliases: the two versions must share the execution role and the dead-letter
 *   queue configuration (or both have none); a version must be Active to be invoked. Coalmine sends
 *   weights as fractions with six decimals (src/aws/lambda.ts), so a step below 0.0001% routes nothing.
 */
import { PlanLimitError } from './errors.ts';
import type { AnalysisSettings } from './judge/settings.ts';
import type { VersionConfig } from './ports.ts';
import type { Strategy } from './strategy.ts';

/** The state machine's TimeoutSeconds, in minutes. */
export const EXECUTION_TIMEOUT_MINUTES = 48 * 60;
/** Step Functions' hard limit on an execution's history, and the share of it a plan may use: the rest is left for retries. */
export const HISTORY_EVENT_LIMIT = 25_000;
export const HISTORY_EVENT_BUDGET = 20_000;
/** Step Functions' limit on the data passed between states (UTF-8 bytes). */
export const STATE_SIZE_LIMIT = 256 * 1024;
/** What Plan's state may take of it: evaluations add the judge's memory, the verdict and the outcome. */
export const PLAN_STATE_BUDGET = 160 * 1024;
/** CloudWatch: dimensions per metric. */
export const MAX_DIMENSIONS = 30;
/** The smallest weight Lambda gets from Coalmine that is not zero: six decimals of a fraction. */
export const MIN_ROUTED_PERCENT = 0.0001;

/**
 * History events, as Step Functions counts them: a Lambda Task state writes five (entered, scheduled,
 * started, succeeded, exited), a Wait or Choice state two. One look at the canary is Bake, "Alarms
 * to read?", Evaluate and Decide, and "Read the alarms" when the canary has alarm gates; one step
 * adds Shift; one look after promotion is its Wait, Evaluate and Choice; the rest (start, Plan,
 * Decide, Promote or Roll back, Redrive, announcing, the end) is at most this many.
 */
const EVENTS_PER_LOOK = 2 + 2 + 5 + 2;
const EVENTS_PER_ALARM_READ = 5;
const EVENTS_PER_BAKE_LOOK = 2 + 5 + 2;
const EVENTS_PER_STEP = 5;
const EVENTS_FIXED = 60;

export interface Schedule {
  /** The longest the canary can take, with every step held to its longest extension. */
  worstCaseMinutes: number;
  /** History events of that longest canary, retries aside. */
  worstCaseEvents: number;
}

/**
 * The longest schedule a strategy can take: each step lasts its interval and may be held up to
 * `maxExtensionMinutes` more for lack of evidence, with a look every `evaluationMinutes`; the first
 * look waits for its minute to settle; an SQS rollback waits `extraMinutes` to redrive. After
 * promotion, `after.bakeMinutes` of looks (and up to an extension more, while metrics are missing).
 *
 * @example
 * worstCaseSchedule({ steps: [10, 25, 50], intervalMinutes: 5, name: 'x' }, analysis, 0); // { worstCaseMinutes: 381, worstCaseEvents: 4233 }
 */
export function worstCaseSchedule(strategy: Strategy, analysis: Pick<AnalysisSettings, 'maxExtensionMinutes' | 'evaluationMinutes' | 'settleSeconds'>, extraMinutes: number, after: ScheduleExtras = {}): Schedule {
  const settle = Math.ceil(analysis.settleSeconds / 60);
  const perStep = strategy.intervalMinutes + analysis.maxExtensionMinutes + analysis.evaluationMinutes + settle;
  const looksPerStep = Math.ceil((strategy.intervalMinutes + analysis.maxExtensionMinutes) / analysis.evaluationMinutes) + 1;
  const steps = strategy.steps.length;
  const bake = after.bakeMinutes ? after.bakeMinutes + analysis.maxExtensionMinutes + analysis.evaluationMinutes + settle : 0;
  const bakeLooks = bake ? Math.ceil(bake / analysis.evaluationMinutes) + 1 : 0;
  return {
    worstCaseMinutes: steps * perStep + extraMinutes + bake,
    worstCaseEvents: EVENTS_FIXED + steps * (EVENTS_PER_STEP + looksPerStep * (EVENTS_PER_LOOK + (after.readsAlarms ? EVENTS_PER_ALARM_READ : 0))) + bakeLooks * EVENTS_PER_BAKE_LOOK,
  };
}

/** What a canary adds to its steps: a bake after promotion (`postPromotionMinutes`), alarms read at every look (`gates.alarms`). */
export interface ScheduleExtras {
  bakeMinutes?: number;
  readsAlarms?: boolean;
}

/** Refuses a schedule that could outlast the execution or its history. */
export function checkSchedule(strategy: Strategy, analysis: Pick<AnalysisSettings, 'maxExtensionMinutes' | 'evaluationMinutes' | 'settleSeconds'>, extraMinutes: number, after: ScheduleExtras = {}): Schedule {
  const schedule = worstCaseSchedule(strategy, analysis, extraMinutes, after);
  const problem = scheduleProblem(strategy, analysis, schedule, after);
  if (problem) throw new PlanLimitError(`strategy: ${problem.text}; ${problem.remedy}`);
  return schedule;
}

/** What is wrong with a schedule's worst case, in words, and what the request could change; undefined when it fits. */
function scheduleProblem(strategy: Strategy, analysis: Pick<AnalysisSettings, 'maxExtensionMinutes' | 'evaluationMinutes'>, schedule: Schedule, after: ScheduleExtras): { text: string; remedy: string } | undefined {
  const shape = `${strategy.steps.length} step${strategy.steps.length === 1 ? '' : 's'} × (${strategy.intervalMinutes} min + up to ${analysis.maxExtensionMinutes} min of extension)${after.bakeMinutes ? ` and ${after.bakeMinutes} min after promotion (postPromotionMinutes)` : ''}`;
  if (schedule.worstCaseMinutes > EXECUTION_TIMEOUT_MINUTES) {
    return { text: `${shape} can take ${hours(schedule.worstCaseMinutes)}, past the execution's ${hours(EXECUTION_TIMEOUT_MINUTES)}`, remedy: 'use fewer or shorter steps, or a smaller analysis.maxExtensionMinutes' };
  }
  if (schedule.worstCaseEvents > HISTORY_EVENT_BUDGET) {
    return {
      text: `${shape} with a look every ${analysis.evaluationMinutes} min can write ${schedule.worstCaseEvents.toLocaleString('en-US')} history events; Step Functions stops an execution at ${HISTORY_EVENT_LIMIT.toLocaleString('en-US')} and Coalmine keeps ${(HISTORY_EVENT_LIMIT - HISTORY_EVENT_BUDGET).toLocaleString('en-US')} for retries`,
      remedy: 'use fewer or shorter steps, or a larger analysis.evaluationMinutes',
    };
  }
  return undefined;
}

/** Coalmine's own schedule as fitted to the limits, and what was changed to fit it. */
export interface FittedSchedule<A> {
  strategy: Strategy;
  analysis: A;
  schedule: Schedule;
  /** One sentence per change, for the plan's warnings; none when the schedule fitted as it was. */
  warnings: string[];
}

/** The longest look interval fitting tries: the analysis settings' own maximum. */
const MAX_EVALUATION_MINUTES = 60;

/**
 * Fits Coalmine's own schedule (the default strategy, never one the request or the function's owner
 * names: checkSchedule refuses those) to the limits, rather than refuse a canary nobody configured.
 * The mildest change that fits wins, in this order: looking less often (a larger
 * `evaluationMinutes`, up to a look per step or per hour; only the history limit needs it), a
 * shorter extension (`maxExtensionMinutes`), dropping the middle steps (the first and the last stay:
 * the smallest exposure, and the weight promotion follows), then steps of `oneCycleMinutes` (an SQS
 * queue's single retry cycle) where given. Each schedule tried keeps the request's analysis as far
 * as it can. Throws checkSchedule's PlanLimitError when nothing fits (a bake after promotion longer
 * than the execution, say).
 *
 * @example
 * // A queue with a 6-hour visibility timeout: 4 steps of 720 min cannot fit 48 hours.
 * fitSchedule({ name: 'x', steps: [5, 10, 25, 50], intervalMinutes: 720 }, analysis, 367, {}, 360);
 * // { strategy: { steps: [5, 50], intervalMinutes: 720, … }, warnings: ['strategy: Coalmine's default drops its 10% and 25% steps …'], … }
 */
export function fitSchedule<A extends Pick<AnalysisSettings, 'maxExtensionMinutes' | 'evaluationMinutes' | 'settleSeconds'>>(
  strategy: Strategy,
  analysis: A,
  extraMinutes: number,
  after: ScheduleExtras = {},
  oneCycleMinutes?: number,
): FittedSchedule<A> {
  const original = worstCaseSchedule(strategy, analysis, extraMinutes, after);
  const problem = scheduleProblem(strategy, analysis, original, after);
  if (!problem) return { strategy, analysis, schedule: original, warnings: [] };
  const fits = (s: Strategy, a: A) => !scheduleProblem(s, a, worstCaseSchedule(s, a, extraMinutes, after), after);

  for (const shape of shapes(strategy, oneCycleMinutes)) {
    const relaxed = relax(shape, analysis, fits);
    if (!relaxed) continue;
    const why = `so that the canary fits Step Functions (as planned, ${problem.text})`;
    const warnings: string[] = [];
    if (relaxed.evaluationMinutes !== analysis.evaluationMinutes) {
      warnings.push(`analysis.evaluationMinutes: Coalmine looks every ${relaxed.evaluationMinutes} min, not every ${analysis.evaluationMinutes}, ${why}`);
    }
    if (relaxed.maxExtensionMinutes !== analysis.maxExtensionMinutes) {
      warnings.push(`analysis.maxExtensionMinutes: a step is held at most ${relaxed.maxExtensionMinutes} min for evidence, not ${analysis.maxExtensionMinutes}, ${why}`);
    }
    const dropped = strategy.steps.filter((weight) => !shape.steps.includes(weight));
    if (dropped.length) {
      warnings.push(`strategy: Coalmine's default drops its ${dropped.map((w) => `${w}%`).join(' and ')} step${dropped.length === 1 ? '' : 's'} (${describeSteps(shape)}), ${why}`);
    }
    if (shape.intervalMinutes !== strategy.intervalMinutes) {
      warnings.push(`strategy: each step lasts one retry cycle of the queue (${shape.intervalMinutes} min), not ${strategy.intervalMinutes} min, ${why}`);
    }
    return { strategy: shape, analysis: relaxed, schedule: worstCaseSchedule(shape, relaxed, extraMinutes, after), warnings };
  }
  throw new PlanLimitError(`strategy: ${problem.text}, and no shorter schedule of Coalmine's fits either; ${problem.remedy}`);
}

/** The schedules fitSchedule tries, mildest first: as planned, the middle steps dropped one by one, then steps of one cycle. */
function shapes(strategy: Strategy, oneCycleMinutes: number | undefined): Strategy[] {
  const tried = [strategy];
  let steps = strategy.steps;
  while (steps.length > 2) {
    steps = [steps[0]!, ...steps.slice(2)];
    tried.push({ ...strategy, steps });
  }
  const last = tried[tried.length - 1]!;
  if (oneCycleMinutes !== undefined && oneCycleMinutes < strategy.intervalMinutes) tried.push({ ...last, intervalMinutes: oneCycleMinutes });
  return tried.map((shape) => (shape === strategy ? shape : { ...shape, name: `${strategy.name}, fitted` }));
}

/**
 * The analysis closest to `analysis` under which `shape` fits: the smallest look interval that
 * fits, else the longest extension that fits with the longest look interval (and then the smallest
 * look interval that still does); undefined when none does.
 */
function relax<A extends Pick<AnalysisSettings, 'maxExtensionMinutes' | 'evaluationMinutes'>>(shape: Strategy, analysis: A, fits: (s: Strategy, a: A) => boolean): A | undefined {
  const longestLook = Math.max(analysis.evaluationMinutes, Math.min(MAX_EVALUATION_MINUTES, shape.intervalMinutes));
  const lookEvery = (extension: number): A | undefined => {
    for (let minutes = analysis.evaluationMinutes; minutes <= longestLook; minutes++) {
      const tried = { ...analysis, evaluationMinutes: minutes, maxExtensionMinutes: extension };
      if (fits(shape, tried)) return tried;
    }
    return undefined;
  };
  // Whether some look interval fits falls as the extension grows: bisect for the longest that fits.
  if (lookEvery(analysis.maxExtensionMinutes)) return lookEvery(analysis.maxExtensionMinutes);
  if (!lookEvery(0)) return undefined;
  let fitting = 0;
  let failing = analysis.maxExtensionMinutes;
  while (failing - fitting > 1) {
    const mid = Math.floor((fitting + failing) / 2);
    if (lookEvery(mid)) fitting = mid;
    else failing = mid;
  }
  return lookEvery(fitting);
}

function describeSteps(strategy: Strategy): string {
  return `${[...strategy.steps, 100].map((w) => `${w}%`).join(' → ')}, ${strategy.intervalMinutes} min a step`;
}

/** Refuses step weights Lambda would round to nothing (or to the step before). */
export function checkWeights(strategy: Strategy): void {
  let previous = 0;
  strategy.steps.forEach((weight, index) => {
    const routed = Math.round(weight / MIN_ROUTED_PERCENT) * MIN_ROUTED_PERCENT;
    if (routed < MIN_ROUTED_PERCENT) {
      throw new PlanLimitError(`strategy.steps[${index}]: ${weight}% routes nothing (Lambda gets weights to ${MIN_ROUTED_PERCENT}%); use at least ${MIN_ROUTED_PERCENT}%`);
    }
    if (routed <= previous) {
      throw new PlanLimitError(`strategy.steps[${index}]: ${weight}% routes the same as the step before once rounded to ${MIN_ROUTED_PERCENT}%`);
    }
    previous = routed;
  });
}

/** Refuses custom metrics CloudWatch would reject in GetMetricData. */
export function checkCustomMetrics(metrics: AnalysisSettings['customMetrics']): void {
  const seen = new Set<string>();
  metrics.forEach((metric, index) => {
    // Query ids are built from the metric's id (src/aws/cloudwatch.ts): ids that differ only in case stay distinct, the same id twice does not.
    if (seen.has(metric.id)) throw new PlanLimitError(`analysis.customMetrics[${index}].id: "${metric.id}" is used twice; CloudWatch needs every query id of a request to be unique`);
    seen.add(metric.id);
    const names = Object.keys(metric.dimensions);
    if (names.includes(metric.versionDimension)) {
      throw new PlanLimitError(`analysis.customMetrics[${index}].dimensions: also names "${metric.versionDimension}", the version dimension Coalmine sets per version; leave it out`);
    }
    if (names.length + 1 > MAX_DIMENSIONS) {
      throw new PlanLimitError(`analysis.customMetrics[${index}].dimensions: ${names.length} dimensions and the version dimension make ${names.length + 1}; CloudWatch takes at most ${MAX_DIMENSIONS}`);
    }
  });
}

/** Refuses a candidate Lambda cannot invoke yet, and a pair of versions an alias cannot split between. */
export function checkVersions(functionName: string, stable: VersionConfig, candidate: VersionConfig): void {
  if (candidate.state !== 'Active') {
    const why = candidate.state === 'Pending' ? 'wait until it is Active (SnapStart and container images take minutes) and start again' : 'invoke it once (an Inactive version wakes up) or publish it again';
    throw new PlanLimitError(`candidateVersion: ${functionName} version ${candidate.version} is ${candidate.state}${candidate.stateReason ? ` (${candidate.stateReason})` : ''}, not Active; ${why}`);
  }
  if (stable.role !== candidate.role) {
    throw new PlanLimitError(`candidateVersion: ${functionName} version ${candidate.version} runs as ${candidate.role}, version ${stable.version} as ${stable.role}; Lambda routes an alias only between versions with the same execution role`);
  }
  if ((stable.deadLetterTargetArn ?? '') !== (candidate.deadLetterTargetArn ?? '')) {
    throw new PlanLimitError(
      `candidateVersion: ${functionName} version ${candidate.version} has dead-letter target ${candidate.deadLetterTargetArn ?? 'none'}, version ${stable.version} ${stable.deadLetterTargetArn ?? 'none'}; Lambda routes an alias only between versions with the same dead-letter configuration`,
    );
  }
}

/** Refuses a state that leaves too little room under Step Functions' 256 KiB for the canary to run. */
export function checkStateSize(state: unknown, hint: string): number {
  const bytes = Buffer.byteLength(JSON.stringify(state), 'utf8');
  if (bytes > PLAN_STATE_BUDGET) {
    throw new PlanLimitError(
      `plan: the canary's state is ${kib(bytes)} KiB; Step Functions passes at most ${kib(STATE_SIZE_LIMIT)} KiB between states and the canary needs ${kib(STATE_SIZE_LIMIT - PLAN_STATE_BUDGET)} KiB of it to run; ${hint}`,
    );
  }
  return bytes;
}

function hours(minutes: number): string {
  return `${Math.round((minutes / 60) * 10) / 10} h`;
}

function kib(bytes: number): number {
  return Math.round((bytes / 1024) * 10) / 10;
}
