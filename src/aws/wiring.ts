/**
 * What every handler wires in besides its adapters, in a module that imports no SDK client: a
 * bundle loads each client that any of its modules imports (the SDK is the runtime's, left out of
 * the bundle, so esbuild cannot drop an unused one), and these are needed by all of them.
 */
import type { Clock } from '../core/ports.ts';

/**
 * The SDK's own retries (standard mode: exponential backoff with jitter, 3 attempts in all) absorb a
 * brief throttle inside one invocation; what outlasts them reaches the state machine's Retry as a
 * ThrottledError or TransientServiceError. Every client a handler builds takes these settings.
 */
export const CLIENT_RETRY = { retryMode: 'standard', maxAttempts: 3 } as const;

/**
 * A client's settings for a region a payload names (src/core/regions.ts); undefined is the region
 * the function runs in. A handler builds a region's clients when a payload first names it, and keeps them.
 */
export function clientIn(region: string | undefined): typeof CLIENT_RETRY & { region: string | undefined } {
  // The SDK reads a region left undefined as not given: the AWS_REGION Lambda sets.
  return { ...CLIENT_RETRY, region };
}

/** The region this Lambda function runs in: naming it shares the clients built for naming none. */
export const HOME_REGION = process.env['AWS_REGION'];

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };
