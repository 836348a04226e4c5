/**
 * The statistical limit: Wald's sequential probability ratio test on the candidate's requests,
 * told both true error rates (α = β = 1%). H₀: the candidate errs at stable's rate; H₁: at its
 * true rate once its behaviour has set in — or, when it is no worse, at twice stable's rate (an
 * SPRT needs an alternative). It crosses ln((1−β)/α) to roll back and ln(β/(1−α)) to promote, and
 * shifts traffic on the same strategy as Coalmine. It sees errors only.
 */
import { StepWalker, type ObservedMinute, type Policy, type PolicyAction, type PolicyContext } from '../policy.ts';

const ALPHA = 0.01;
const BETA = 0.01;

export const sprtOraclePolicy: Policy = {
  name: 'sprt-oracle',
  summary: "Wald's SPRT told both true error rates (α = β = 1%), on Coalmine's strategy",
  start(context: PolicyContext) {
    const steps = new StepWalker(context.strategy);
    const p0 = context.truth.stableErrorRate;
    const p1 = context.truth.candidateErrorRate > p0 ? context.truth.candidateErrorRate : Math.min(0.5, Math.max(2 * p0, 1e-4));
    const onError = Math.log(p1 / Math.max(p0, 1e-12));
    const onSuccess = Math.log((1 - p1) / (1 - p0));
    const upper = Math.log((1 - BETA) / ALPHA);
    const lower = Math.log(BETA / (1 - ALPHA));
    let llr = 0;
    return {
      weight: () => steps.weight,
      observe(minute: ObservedMinute): PolicyAction {
        steps.tick();
        const { invocations, errors } = minute.candidate;
        llr += errors * onError + (invocations - errors) * onSuccess;
        if (llr >= upper) return 'rollback';
        if (llr <= lower) return 'promote';
        if (!steps.isFinalStep && steps.minutesInStep >= context.strategy.intervalMinutes) steps.advance();
        return 'continue';
      },
    };
  },
};
