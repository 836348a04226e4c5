/**
 * Check the candidate before traffic: before any user reaches the candidate, invoke its version
 * directly with each smoke event, then ask the user's hook (CodeDeploy's BeforeAllowTraffic
 * contract: it answers Succeeded or Failed). The first failure decides a rollback, and the alias,
 * never shifted, goes back to its owner untouched. A failure to invoke at all (no such function,
 * access denied) is an error, not a verdict on the candidate: the state machine's Catch takes it.
 */
import type { FunctionInvoker, InvocationResult, Ports } from '../ports.ts';
import { clip } from '../request.ts';
import type { CanaryState, Plan } from '../state.ts';
import { assertOwned } from './alias-rules.ts';
import { parsePayload, statePayload } from './payload.ts';

/** What the hook is sent: the plan, and what it is asked about (as CodeDeploy names its lifecycle hooks). */
export interface HookRequest {
  lifecycleEvent: 'BeforeAllowTraffic';
  execution: string;
  functionName: string;
  alias: string;
  stableVersion: string;
  candidateVersion: string;
  plan: Plan;
}

export function createPreTraffic({ router, invoker }: Pick<Ports, 'router' | 'invoker'>) {
  return async function preTraffic(payload: unknown): Promise<CanaryState> {
    const { state, execution } = parsePayload(statePayload, payload, 'Check before traffic');
    const { plan: p, progress } = state;
    assertOwned(await router.getAlias(p.functionName, p.alias), state, execution);
    const smokeEvents = p.preTraffic?.smokeEvents ?? [];
    const hookFunction = p.preTraffic?.hookFunction;
    const passed: string[] = [];

    for (const [index, event] of smokeEvents.entries()) {
      const answer = await invoker.invoke({ functionName: p.functionName, qualifier: p.candidateVersion, payload: event });
      if (answer.functionError !== undefined) {
        return failed(state, `smoke event ${index + 1} of ${smokeEvents.length}: version ${p.candidateVersion} ${describeFailure(answer)}; no traffic was shifted`);
      }
    }
    if (smokeEvents.length) passed.push(`${smokeEvents.length} smoke event${smokeEvents.length === 1 ? '' : 's'} passed on version ${p.candidateVersion}`);

    if (hookFunction !== undefined) {
      const request: HookRequest = {
        lifecycleEvent: 'BeforeAllowTraffic',
        execution: execution.name,
        functionName: p.functionName,
        alias: p.alias,
        stableVersion: p.stableVersion,
        candidateVersion: p.candidateVersion,
        plan: p,
      };
      const problem = await askHook(invoker, hookFunction, request);
      if (problem) return failed(state, `hook ${hookFunction} ${problem}; no traffic was shifted`);
      passed.push(`hook ${hookFunction} answered Succeeded`);
    }

    return {
      ...state,
      status: `Checked before traffic: ${passed.join('; ') || 'nothing to check'}`,
      progress: { ...progress, checkedBeforeTraffic: true },
    };
  };
}

/** The hook's answer: undefined when it said Succeeded, else what went wrong in a few words. */
async function askHook(invoker: FunctionInvoker, hookFunction: string, request: HookRequest): Promise<string | undefined> {
  const answer = await invoker.invoke({ functionName: hookFunction, payload: request });
  if (answer.functionError !== undefined) return describeFailure(answer);
  const status = (answer.payload as { status?: unknown } | null)?.status;
  if (status === 'Succeeded') return undefined;
  const reason = (answer.payload as { reason?: unknown } | null)?.reason;
  const said = typeof status === 'string' ? `answered ${clip(status)}` : `answered ${clip(JSON.stringify(answer.payload) ?? 'nothing')}, not { "status": "Succeeded" }`;
  return typeof reason === 'string' ? `${said}: ${clip(reason)}` : said;
}

/** A function error in the words Lambda gives it: its type and message, or that it timed out. */
function describeFailure(answer: InvocationResult): string {
  const error = answer.payload as { errorType?: unknown; errorMessage?: unknown } | null;
  const type = typeof error?.errorType === 'string' ? error.errorType : answer.functionError;
  const message = typeof error?.errorMessage === 'string' ? error.errorMessage : '';
  if (type === 'Sandbox.Timedout' || /Task timed out/.test(message)) return `timed out${message ? ` (${clip(message)})` : ''}`;
  return `failed with ${clip(String(type))}${message ? `: ${clip(message)}` : ''}`;
}

/** A failed check decides the rollback, as a judged regression: the candidate was shown to fail. */
function failed(state: CanaryState, reason: string): CanaryState {
  return {
    ...state,
    status: `Failed before traffic: ${reason}`,
    progress: { ...state.progress, decision: 'rollback', checkedBeforeTraffic: true },
    verdict: {
      decision: 'rollback',
      rollbackKind: 'regression',
      reasons: [reason],
      figures: {},
      checks: [{ name: 'pre-traffic', phase: 'fail', summary: reason }],
    },
  };
}
