/**
 * Will the candidate fit at 100%? A function runs at most its reserved concurrency at once (or,
 * without a reservation, what is left of the account's unreserved pool); beyond it, requests are
 * throttled. The canary sees the candidate at a share of the traffic, so before it promotes, the
 * judge forecasts what the candidate would need with all of it (Little's law: requests a second ×
 * mean duration in seconds) and holds when that is over the limit (src/core/judge/concurrency.ts).
 * Plan reads the limit here.
 */
import { AccessDeniedError } from './errors.ts';
import type { FunctionRegistry } from './ports.ts';

/** The most executions the candidate may run at once at 100%, and where that limit comes from. */
export interface ConcurrencyLimit {
  limit: number;
  source: 'reserved' | 'account';
}

/** The function's reserved concurrency, else the account's unreserved pool; a limit that cannot be read is a warning, not a refusal. */
export async function readConcurrencyLimit(functions: Pick<FunctionRegistry, 'getConcurrency'>, functionName: string): Promise<{ limit?: ConcurrencyLimit; warnings: string[] }> {
  if (!functions.getConcurrency) return { warnings: [] };
  try {
    const found = await functions.getConcurrency(functionName);
    if (found.reserved !== undefined) return { limit: { limit: found.reserved, source: 'reserved' }, warnings: [] };
    if (found.accountUnreserved !== undefined) return { limit: { limit: found.accountUnreserved, source: 'account' }, warnings: [] };
    return { warnings: ["concurrency at 100% not forecast: the function has no reserved concurrency and the account's unreserved pool could not be read"] };
  } catch (error) {
    if (error instanceof AccessDeniedError) return { warnings: [`concurrency at 100% not forecast: ${error.message}`] };
    throw error;
  }
}

/** Concurrent executions at `requestsPerMinute` of `meanMs` each (Little's law). */
export function concurrencyNeeded(requestsPerMinute: number, meanMs: number): number {
  return (requestsPerMinute / 60) * (meanMs / 1000);
}
