/**
 * Shared test fixtures: the scenarios, judges, judge minutes, execution references, alias states,
 * plans and canary states that many test files build. Each factory takes overrides, so a test names
 * only what matters to it.
 */
import { analysisSchema, type Assessment, type Judge, type JudgeContext, type JudgeInput } from '../../src/core/judge/index.ts';
import type { Baseline, QueueMinute, VersionMinute } from '../../src/core/ports.ts';
import type { CanaryState, Decision, ExecutionRef, Plan, Progress } from '../../src/core/state.ts';
import { parseScenario, type Scenario } from '../../src/sim/scenario.ts';

/** A scenario maker for one test file: its own defaults (with `name`), each test's overrides on top. */
export function scenarioMaker(defaults: { name: string } & Record<string, unknown>): (overrides?: Record<string, unknown>) => Scenario {
  return (overrides = {}) => parseScenario({ ...defaults, ...overrides }, `${defaults.name}.json`);
}

/** A "Canary Release Requested" event on the release bus, as EventBridge delivers it, carrying `detail`. */
export function releaseEvent(detail: Record<string, unknown>) {
  return {
    version: '0',
    id: 'b7d2c3f0-0000-4000-8000-000000000001',
    'detail-type': 'Canary Release Requested',
    source: 'coalmine',
    account: '123456789012',
    time: '2026-01-05T09:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

/** A judge that passes once the candidate has served this many invocations (counted in its memory), inconclusive before. */
export function judgePassingAfter(candidateInvocations: number): Judge {
  return (input: JudgeInput): Assessment => {
    const seen = ((input.memory?.['seen'] as number | undefined) ?? 0) + input.window.minutes.reduce((sum, minute) => sum + (minute.candidate?.invocations ?? 0), 0);
    return { phase: seen >= candidateInvocations ? 'pass' : 'inconclusive', reasons: [`${seen} candidate invocations seen`], figures: { seen }, memory: { seen } };
  };
}

/** A judge that fails the candidate at every look, with this reason. */
export function judgeFailing(reason: string): Judge {
  return () => ({ phase: 'fail', reasons: [reason], figures: {}, memory: {} });
}

/** What Step Functions hands a Task about its execution: the ARN built from the state machine's name and region. */
export function executionRef(name: string, options: { stateMachine?: string; region?: string } = {}): ExecutionRef {
  return { id: `arn:aws:states:${options.region ?? 'eu-west-1'}:123456789012:execution:${options.stateMachine ?? 'coalmine'}:${name}`, name };
}

/** An alias as the state records it: on one version, `routing` in percent (empty when not split). */
export function aliasState(version: string, routing: Record<string, number> = {}): { version: string; routing: Record<string, number> } {
  return { version, routing };
}

/** Fifteen baseline minutes of 600 requests, 0.5% errors, a 400 ms latency threshold. */
export const JUDGE_BASELINE: Baseline = { minutes: 15, invocations: 9000, errors: 45, latencyThresholdMs: 400 };

/** One version's minute as the judge reads it: 1% slow, p99 390 ms unless told. */
export function versionMinute(invocations: number, errors = 0, extra: Partial<VersionMinute> = {}): VersionMinute {
  return { invocations, errors, throttles: 0, slow: Math.round(invocations * 0.01), p99Ms: 390, ...extra };
}

/** The ISO time of minute `index` after `start`. */
export function minuteAt(index: number, start = Date.UTC(2025, 0, 1, 12)): string {
  return new Date(start + index * 60_000).toISOString();
}

/** A quiet queue minute: 600 sent, 0.5% received again, nothing dead-lettered. */
export function queueMinute(overrides: Partial<QueueMinute> = {}): QueueMinute {
  return { sent: 600, received: 603, deleted: 600, visible: 2, ageOfOldestSeconds: 25, dlqVisible: 0, notVisible: 3, ...overrides };
}

/** The first step of three at 10% of an API canary, one minute in. */
export function judgeContext(overrides: Partial<JudgeContext> = {}): JudgeContext {
  return { trigger: 'api', stepIndex: 0, stepCount: 3, weight: 10, isFinalStep: false, minutesInStep: 1, ...overrides };
}

/**
 * The plan Plan returns, for an API canary of checkout:live from version 12 to 13 in one 10% step of
 * 5 minutes, taken by execution run-1 with the default analysis.
 */
export function canaryPlan(overrides: Partial<Plan> = {}): Plan {
  return {
    functionName: 'checkout',
    alias: 'live',
    stableVersion: '12',
    candidateVersion: '13',
    trigger: 'api',
    strategy: { name: 'custom', steps: [10], intervalMinutes: 5 },
    analysis: analysisSchema.parse({}),
    owner: 'run-1',
    originalDescription: '',
    startedAt: '2026-01-05T09:00:00.000Z',
    baseline: { minutes: 15, invocations: 9000, errors: 10 },
    redriveOnRollback: true,
    warnings: [],
    ...overrides,
  };
}

/** Where a canary stands: the candidate at `weight`% in step `stepIndex` with this decision; before the first shift unless told. */
export function progressAt(weight = 0, stepIndex = -1, decision: Decision = 'advance', overrides: Partial<Progress> = {}): Progress {
  return { stepIndex, weight, revisionId: 'rev-1', decision, evaluations: 0, ...overrides };
}

/** The state the Task states pass along, as Plan returns it (planned, nothing shifted) unless told. */
export function canaryState(overrides: Partial<CanaryState> = {}): CanaryState {
  return { status: 'Planned', plan: canaryPlan(), progress: progressAt(), ...overrides };
}
