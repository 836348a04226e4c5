/**
 * Fault injection for the simulated account. Every port method of the account (and the runner's
 * EventBridge publisher) goes through `FaultInjector.call`, so a test can make any call fail, run
 * something just before it (someone changing the alias by hand), or make metrics go missing.
 *
 * @example
 * account.faults.inject({ call: 'router.updateAlias', error: () => new ThrottledError('Rate exceeded'), times: 2 });
 * account.faults.before('router.updateAlias', () => account.changeAliasByHand({ weights: {} }), { times: 1 });
 * account.faults.dropMetrics(6); // no datapoints from 6 minutes after the first shift on
 * account.faults.failMetrics({ message: 'CloudWatch GetMetricData: ServiceUnavailable', times: 1 });
 */

/** The calls that can be intercepted, named `<port>.<method>`. */
export const SIM_CALLS = [
  'router.getAlias',
  'router.updateAlias',
  'router.listAliases',
  'functions.getFunction',
  'functions.getVersion',
  'functions.getConcurrency',
  'metrics.versionMinutes',
  'metrics.baseline',
  'metrics.history',
  'queues.listQueueSources',
  'queues.depth',
  'queues.redrive',
  'invoker.invoke',
  'alarms.states',
  'events.putEvents',
  'logs.startQuery',
  'logs.getQueryResults',
  'executions.describeExecution',
] as const;

export type SimCall = (typeof SIM_CALLS)[number];

export interface InjectedError {
  call: SimCall;
  /** Builds the error to throw; called once per failing call so each throw is a fresh error. */
  error: (args: readonly unknown[]) => Error;
  /** How many calls fail; unlimited when absent. */
  times?: number;
  /** Let this many calls succeed first. Default 0. */
  after?: number;
}

export interface BeforeHookOptions {
  /** How many calls the hook runs for; every call when absent. */
  times?: number;
}

export type BeforeHook = (args: readonly unknown[]) => void | Promise<void>;

/**
 * When metrics go missing: a number is minutes after the first shift (as a scenario's
 * `candidate.fromMinute`), a string is an ISO time. Minutes from then on have no datapoints.
 */
export type MetricsCutoff = number | string;

export interface MetricsQueryFailure {
  message: string;
  /** How many queries fail; unlimited when absent. */
  times?: number;
  /** Let this many queries succeed first. Default 0. */
  after?: number;
}

interface ErrorRule {
  rule: InjectedError;
  skipped: number;
  thrown: number;
}

interface HookRule {
  hook: BeforeHook;
  remaining: number;
}

interface FailureRule {
  rule: MetricsQueryFailure;
  skipped: number;
  failed: number;
}

export class FaultInjector {
  private readonly errors: ErrorRule[] = [];
  private readonly hooks = new Map<SimCall, HookRule[]>();
  private readonly failures: FailureRule[] = [];
  private readonly counts = new Map<SimCall, number>();
  private cutoff: MetricsCutoff | undefined;

  /** Makes `call` throw `error()` (for `times` calls, after letting `after` succeed). */
  inject(rule: InjectedError): this {
    this.errors.push({ rule, skipped: 0, thrown: 0 });
    return this;
  }

  /** Runs `hook` just before `call` does its work (and before any injected error). */
  before(call: SimCall, hook: BeforeHook, options: BeforeHookOptions = {}): this {
    const rules = this.hooks.get(call) ?? [];
    rules.push({ hook, remaining: options.times ?? Infinity });
    this.hooks.set(call, rules);
    return this;
  }

  /** From `from` on, no version has datapoints, as when metrics stop being published. */
  dropMetrics(from: MetricsCutoff): this {
    this.cutoff = from;
    return this;
  }

  /** The metrics cutoff set by `dropMetrics`, if any. */
  get metricsCutoff(): MetricsCutoff | undefined {
    return this.cutoff;
  }

  /** Makes `metrics.versionMinutes` return a MeasurementFailure instead of figures. */
  failMetrics(rule: MetricsQueryFailure): this {
    this.failures.push({ rule, skipped: 0, failed: 0 });
    return this;
  }

  /** How many times `call` was made (including calls that failed). */
  count(call: SimCall): number {
    return this.counts.get(call) ?? 0;
  }

  /** Removes every rule, hook and cutoff; call counts stay. */
  clear(): void {
    this.errors.length = 0;
    this.failures.length = 0;
    this.hooks.clear();
    this.cutoff = undefined;
  }

  /** The interception point: hooks, then injected errors, then the real work. */
  async call<T>(call: SimCall, args: readonly unknown[], work: () => T | Promise<T>): Promise<T> {
    this.counts.set(call, this.count(call) + 1);
    for (const hook of this.hooks.get(call) ?? []) {
      if (hook.remaining <= 0) continue;
      hook.remaining--;
      await hook.hook(args);
    }
    for (const entry of this.errors) {
      if (entry.rule.call !== call) continue;
      if (entry.skipped < (entry.rule.after ?? 0)) {
        entry.skipped++;
        continue;
      }
      if (entry.thrown < (entry.rule.times ?? Infinity)) {
        entry.thrown++;
        throw entry.rule.error(args);
      }
    }
    return work();
  }

  /** The message of the metrics failure that applies to this query, if one does (and counts it). */
  takeMetricsFailure(): string | undefined {
    for (const entry of this.failures) {
      if (entry.skipped < (entry.rule.after ?? 0)) {
        entry.skipped++;
        continue;
      }
      if (entry.failed < (entry.rule.times ?? Infinity)) {
        entry.failed++;
        return entry.rule.message;
      }
    }
    return undefined;
  }
}
