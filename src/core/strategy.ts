/**
 * Strategies: how traffic moves from the stable version to the candidate. A strategy is a list of
 * candidate weights (percent, increasing, each below 100) held for `intervalMinutes` each;
 * promotion to 100% follows the last step once the judge allows it.
 *
 * @example
 * parseStrategy('Canary10Percent5Minutes');   // { name: 'Canary10Percent5Minutes', steps: [10], intervalMinutes: 5 }
 * parseStrategy({ steps: [1, 5, 25, 50], intervalMinutes: 3 });
 */
import { InvalidRequestError } from './errors.ts';

export interface Strategy {
  name: string;
  /** Candidate weights in percent, strictly increasing, each in (0, 100). */
  steps: number[];
  intervalMinutes: number;
}

export type StrategyRequest = string | { steps: number[]; intervalMinutes: number };

const CODEDEPLOY_PREFIX = 'CodeDeployDefault.Lambda';

/** The nine CodeDeploy Lambda deployment configurations, as Coalmine schedules. */
export const CODEDEPLOY_STRATEGIES: Readonly<Record<string, Strategy>> = Object.freeze({
  Canary10Percent5Minutes: { name: 'Canary10Percent5Minutes', steps: [10], intervalMinutes: 5 },
  Canary10Percent10Minutes: { name: 'Canary10Percent10Minutes', steps: [10], intervalMinutes: 10 },
  Canary10Percent15Minutes: { name: 'Canary10Percent15Minutes', steps: [10], intervalMinutes: 15 },
  Canary10Percent30Minutes: { name: 'Canary10Percent30Minutes', steps: [10], intervalMinutes: 30 },
  Linear10PercentEvery1Minute: { name: 'Linear10PercentEvery1Minute', steps: linear(10), intervalMinutes: 1 },
  Linear10PercentEvery2Minutes: { name: 'Linear10PercentEvery2Minutes', steps: linear(10), intervalMinutes: 2 },
  Linear10PercentEvery3Minutes: { name: 'Linear10PercentEvery3Minutes', steps: linear(10), intervalMinutes: 3 },
  Linear10PercentEvery10Minutes: { name: 'Linear10PercentEvery10Minutes', steps: linear(10), intervalMinutes: 10 },
  AllAtOnce: { name: 'AllAtOnce', steps: [], intervalMinutes: 0 },
});

/** 10, 20, … 90 for an increment of 10. */
function linear(increment: number): number[] {
  const steps: number[] = [];
  for (let weight = increment; weight < 100; weight += increment) steps.push(weight);
  return steps;
}

/**
 * Coalmine's default for request-driven functions: three steps whose exposure grows while the
 * judge sees no harm. Weight changes how fast evidence arrives, not how many failures it costs to
 * collect it, so the first step need not be tiny; the judge, not the clock, decides when to move on.
 */
export const DEFAULT_API_STRATEGY: Strategy = Object.freeze({
  name: 'Coalmine default',
  steps: [10, 25, 50],
  intervalMinutes: 5,
}) as Strategy;

/** Longest a step may last, and most steps, so that a plan fits in one execution. */
export const MAX_INTERVAL_MINUTES = 24 * 60;
export const MAX_STEPS = 50;

/**
 * Turns a strategy name or a custom schedule into steps. Throws InvalidRequestError with one line
 * naming what is wrong.
 */
export function parseStrategy(request: StrategyRequest, field = 'strategy'): Strategy {
  if (typeof request === 'string') {
    const name = request.startsWith(CODEDEPLOY_PREFIX) ? request.slice(CODEDEPLOY_PREFIX.length) : request;
    // Own names only: "toString" or "constructor" are on every object's prototype, not strategies.
    const known = Object.hasOwn(CODEDEPLOY_STRATEGIES, name) ? CODEDEPLOY_STRATEGIES[name] : undefined;
    if (!known) {
      throw new InvalidRequestError(
        `${field}: unknown strategy "${truncate(request)}"; use one of ${Object.keys(CODEDEPLOY_STRATEGIES).join(', ')} or { "steps": [...], "intervalMinutes": n }`,
      );
    }
    return { ...known, steps: [...known.steps] };
  }
  return customStrategy(request, field);
}

function customStrategy(request: { steps: number[]; intervalMinutes: number }, field: string): Strategy {
  const { steps, intervalMinutes } = request;
  if (!Number.isInteger(intervalMinutes) || intervalMinutes < 1 || intervalMinutes > MAX_INTERVAL_MINUTES) {
    throw new InvalidRequestError(`${field}.intervalMinutes: must be a whole number from 1 to ${MAX_INTERVAL_MINUTES}, got ${String(intervalMinutes)}`);
  }
  if (steps.length === 0) throw new InvalidRequestError(`${field}.steps: must list at least one weight; use "AllAtOnce" to skip the canary`);
  if (steps.length > MAX_STEPS) throw new InvalidRequestError(`${field}.steps: at most ${MAX_STEPS} steps, got ${steps.length}`);
  steps.forEach((weight, index) => {
    if (!Number.isFinite(weight) || weight <= 0 || weight > 100) {
      throw new InvalidRequestError(`${field}.steps[${index}]: weights must be in (0, 100], got ${String(weight)}`);
    }
    if (index > 0 && weight <= steps[index - 1]!) {
      throw new InvalidRequestError(`${field}.steps[${index}]: weights must increase, got ${steps[index - 1]} then ${weight}`);
    }
  });
  // A final 100 is the promotion itself, which always follows the last step.
  const canarySteps = steps[steps.length - 1] === 100 ? steps.slice(0, -1) : [...steps];
  if (canarySteps.length === 0) {
    // [100] alone would move every request to the candidate with nothing judged first: AllAtOnce, which says so, and which an event may use only where its owner allows it.
    throw new InvalidRequestError(`${field}.steps: [100] shifts everything at once with no canary step; give a weight below 100 first (e.g. [10, 100]), or use "AllAtOnce" to skip the canary`);
  }
  return { name: `${canarySteps.join('% → ')}${canarySteps.length ? '% → ' : ''}100% every ${intervalMinutes} min`, steps: canarySteps, intervalMinutes };
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
