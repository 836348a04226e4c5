/**
 * After promotion (`plan.postPromotionMinutes`): Promote puts the whole alias on the candidate and
 * lets go of it as always, then the canary keeps judging the promoted version — now serving all
 * traffic — against the bar it was promoted under, for that many minutes (the test and why it is
 * the valid one: src/core/judge/after-promotion.ts). A regression restores the stable version
 * (the Restore step, src/core/steps/restore.ts); a healthy bake ends promoted.
 *
 * The alias is Coalmine's to restore only while it is exactly as the promotion left it: the
 * revision Promote wrote, fully on the candidate. Any other revision is someone else's change (a
 * new canary that took the alias, a hand edit): the bake stops and leaves it.
 */
import { AliasChangedError, InvalidRequestError } from '../errors.ts';
import { judgeAfterPromotion } from '../judge/after-promotion.ts';
import type { AliasState, MetricsSource, Ports } from '../ports.ts';
import type { CanaryState, Decision, JudgedRollbackKind } from '../state.ts';
import { nextLookAfter } from '../clock.ts';
import { addSeconds, floorMinute, iso } from '../time.ts';
import { describeRouting, sameRouting } from './alias-rules.ts';
import { finish } from './outcome.ts';

/** The state Promote hands on when the plan asks for a bake: promoted, judged until `until`, no outcome yet. */
export function startBake(state: CanaryState, promoted: AliasState, now: Date): CanaryState {
  const { plan: p, progress } = state;
  const minutes = p.postPromotionMinutes!;
  const from = floorMinute(now);
  const until = addSeconds(from, 60 * minutes);
  return {
    ...state,
    status: `Promoted: ${p.functionName}:${p.alias} is on version ${p.candidateVersion}; judging it against the bar it was promoted under until ${iso(until)} (postPromotionMinutes: ${minutes})`,
    progress: {
      ...progress,
      stepIndex: p.strategy.steps.length,
      weight: 100,
      revisionId: promoted.revisionId,
      judgedUntil: iso(from),
      nextEvaluationAt: iso(nextLookAfter(now, p.analysis)),
      decision: 'hold',
      bake: { promotedAt: iso(now), until: iso(until), requests: 0, errors: 0 },
    },
  };
}

/** One look after promotion: hold, done (promoted), or a rollback that the Restore step carries out. */
export async function lookAfterPromotion({ router, metrics, clock }: Pick<Ports, 'router' | 'clock'> & { metrics: Pick<MetricsSource, 'versionMinutes'> }, state: CanaryState): Promise<CanaryState> {
  const { plan: p, progress } = state;
  const bake = progress.bake!;
  const alias = await router.getAlias(p.functionName, p.alias);
  assertAsPromoted(alias, state);

  const now = clock.now();
  const settledEnd = floorMinute(addSeconds(now, -p.analysis.settleSeconds));
  const judgedUntil = new Date(progress.judgedUntil ?? bake.promotedAt);
  const read =
    settledEnd > judgedUntil
      ? await metrics.versionMinutes({ functionName: p.functionName, alias: p.alias, stableVersion: p.stableVersion, candidateVersion: p.candidateVersion, start: iso(judgedUntil), end: iso(settledEnd) })
      : { minutes: [], failures: [] };
  // A failed read counts nothing and is read again at the next look: missing data is never healthy.
  const missing = read.failures.length > 0;
  const counted = missing ? [] : read.minutes;
  const requests = bake.requests + counted.reduce((sum, minute) => sum + (minute.candidate?.invocations ?? 0), 0);
  const errors = bake.errors + counted.reduce((sum, minute) => sum + (minute.candidate?.errors ?? 0), 0);
  const judged = missing || settledEnd <= judgedUntil ? judgedUntil : settledEnd;

  // Every plan that asks for a bake carries the promotion test (Plan writes both).
  if (!p.promotion) throw new InvalidRequestError('Evaluate input: state.plan.promotion: missing; a bake after promotion judges against the bar Plan fixed');
  const bar = p.promotion.bar;
  const verdict = judgeAfterPromotion({ bar, alpha: p.analysis.alpha, requests, errors });
  const until = new Date(bake.until);
  const pastExtension = now >= addSeconds(until, 60 * p.analysis.maxExtensionMinutes + p.analysis.settleSeconds);
  const { decision, rollbackKind, reason } = decideAfterPromotion({ verdict, missing, done: judged >= until, pastExtension, failure: read.failures[0]?.message, minutesLeft: Math.max(0, Math.ceil((until.getTime() - judged.getTime()) / 60_000)), stable: p.stableVersion });

  const looked: CanaryState = {
    ...state,
    status: `After promotion: ${rollbackKind === 'inconclusive' ? 'rollback (inconclusive)' : decision} — ${reason}`,
    progress: {
      ...progress,
      judgedUntil: iso(judged),
      nextEvaluationAt: iso(nextLookAfter(now, p.analysis)),
      decision,
      bake: { ...bake, requests, errors },
      evaluations: progress.evaluations + 1,
    },
    verdict: {
      decision,
      ...(rollbackKind ? { rollbackKind } : {}),
      reasons: [reason],
      figures: { requestsSincePromotion: requests, errorsSincePromotion: errors, promotionBar: bar, measurementFailures: read.failures.length },
      checks: [{ name: 'errors', phase: verdict.worse ? 'fail' : decision === 'promote' ? 'pass' : 'inconclusive', summary: verdict.summary }],
    },
  };
  if (decision !== 'promote') return looked;
  const ended = finish(looked, { result: 'promoted', rollbackKind: null, reason, alias }, now);
  return { ...ended, outcome: { ...ended.outcome!, promotedAt: bake.promotedAt } };
}

function decideAfterPromotion(look: { verdict: { worse: boolean; summary: string }; missing: boolean; done: boolean; pastExtension: boolean; failure: string | undefined; minutesLeft: number; stable: string }): { decision: Decision; rollbackKind?: JudgedRollbackKind; reason: string } {
  const { verdict, missing, done, pastExtension, failure, minutesLeft, stable } = look;
  if (verdict.worse) return { decision: 'rollback', rollbackKind: 'regression', reason: `after promotion, ${verdict.summary}; restoring version ${stable}` };
  if (missing && pastExtension) {
    return { decision: 'rollback', rollbackKind: 'inconclusive', reason: `after promotion, metrics missing past the bake and its extension (${failure}); restoring version ${stable}, no regression found` };
  }
  if (missing) return { decision: 'hold', reason: `after promotion, metrics missing: ${failure}; read again at the next look` };
  if (done) return { decision: 'promote', reason: `promoted, and judged after promotion: ${verdict.summary}` };
  return { decision: 'hold', reason: `after promotion, ${minutesLeft} more minute${minutesLeft === 1 ? '' : 's'} to judge: ${verdict.summary}` };
}

/** The alias must be as Promote left it: its revision, fully on the candidate. */
export function assertAsPromoted(alias: AliasState, state: CanaryState): void {
  const { plan: p, progress } = state;
  if (alias.revisionId !== progress.revisionId || !sameRouting(alias, { version: p.candidateVersion, weights: {} })) {
    throw new AliasChangedError(`alias ${p.functionName}:${p.alias} was changed by someone else after the promotion (now ${describeRouting(alias)}); Coalmine stops judging it and leaves their change`);
  }
}
