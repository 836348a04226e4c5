/**
 * What a policy is to the benchmark: something that sets the candidate's weight, sees each minute's
 * figures as they settle, and says continue, promote or roll back. Every policy runs on the same
 * generated traffic (the same seed draws the same per-minute random stream), so they are compared
 * on equal footing.
 */
import type { Baseline, HourlyTraffic, QueueMinute, VersionMinute } from '../core/ports.ts';
import type { AnalysisSettings, QueueJudgeSetup } from '../core/judge/index.ts';
import type { Strategy } from '../core/strategy.ts';
import type { Scenario } from '../sim/scenario.ts';

export interface PolicyContext {
  scenario: Scenario;
  seed: number;
  /** The canary's analysis settings (the scenario's `analysis`, defaults filled in). */
  settings: AnalysisSettings;
  /** The scenario's strategy, or Coalmine's default for its trigger. */
  strategy: Strategy;
  /** The strategy the scenario named (undefined: Coalmine picks weights for the traffic; peers use `strategy`). */
  namedStrategy: Strategy | undefined;
  /** The alias' hourly traffic over the day before the baseline, as Plan reads it. */
  history: HourlyTraffic[];
  /** When the baseline window starts (ISO), as Plan knows it: it places the history's last hour. */
  baselineStart?: string;
  /** The stable version before the first shift, as Plan measures it. */
  baseline: Baseline;
  /** True error rates, for the oracle only: stable's, and the candidate's once its behaviour has set in. */
  truth: { stableErrorRate: number; candidateErrorRate: number };
  /** SQS-triggered scenarios: the queue's settings as Plan reads them (the judge's `context.queue`). */
  queue?: QueueJudgeSetup;
  /** Each version's memory size in MB, as Plan reads it (the judge's `context.memoryMB`). */
  memoryMB?: { stable: number; candidate: number };
  /** The function's concurrency limit as Plan reads it: its reserved concurrency, else the account's pool (the judge's `context.concurrency`). */
  concurrency?: { limit: number; source: 'reserved' | 'account' };
}

/** One settled minute, `minute` minutes after the first shift (0-based). */
export interface ObservedMinute {
  minute: number;
  stable: VersionMinute;
  candidate: VersionMinute;
  /** SQS-triggered scenarios: the queue's minute (CloudWatch's SQS metrics). Only Coalmine reads it. */
  queue?: QueueMinute;
}

/**
 * `rollback`: the policy found the candidate worse. `rollback-inconclusive`: it rolls back because
 * it could not decide within its limits — a safe ending, but no regression verdict (only Coalmine
 * says so; the peers have no such ending).
 */
export type PolicyAction = 'continue' | 'promote' | 'rollback' | 'rollback-inconclusive';

export interface PolicyRun {
  /** The candidate's weight (percent) for the coming minute. */
  weight(): number;
  /** Sees the minute that just settled and decides. */
  observe(minute: ObservedMinute): PolicyAction;
  /** Coalmine only: what its plan forecast before the first shift. */
  forecast?: { minutesToPromote: number | null; promotionBar: number };
}

export interface Policy {
  name: string;
  /** One line for the report. */
  summary: string;
  start(context: PolicyContext): PolicyRun;
}

/**
 * Walks a strategy's steps: `advance()` moves to the next step, `minutesInStep` counts settled
 * minutes at the current one.
 */
export class StepWalker {
  private index = 0;
  minutesInStep = 0;

  constructor(readonly strategy: Strategy) {}

  get stepIndex(): number {
    return this.index;
  }

  get weight(): number {
    return this.strategy.steps[this.index] ?? 100;
  }

  get isFinalStep(): boolean {
    return this.index >= this.strategy.steps.length - 1;
  }

  tick(): void {
    this.minutesInStep++;
  }

  advance(): void {
    if (!this.isFinalStep) this.index++;
    this.minutesInStep = 0;
  }
}
