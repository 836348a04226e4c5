/**
 * Cross-region canaries from one stack: every step works in the region of the function it canaries.
 * The region is in the step's payload: the request's `region` for Plan (and for a Rollback after Plan
 * failed, whose state is the request itself), the plan's for every later step; none means the region
 * Coalmine runs in. The AWS handlers build a region's clients when a payload first names it, and keep
 * them; the local runner hands each region its simulated account the same way.
 *
 * @example
 * const shift = regionalStep((region) => createShift({ router: lambdaTrafficRouter(new LambdaClient({ region })), clock }));
 * await shift({ state: { plan: { region: 'eu-west-3', … } }, execution }); // Lambda calls go to eu-west-3
 */

/** A region name as AWS spells it (eu-west-1, us-gov-west-1, cn-north-1…). */
export const REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** A field of an object, or undefined for anything else. */
const field = (value: unknown, key: string): unknown => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined);

/** The region a request or an execution's input names, when it names a well-formed one. */
export function requestRegion(request: unknown): string | undefined {
  const region = field(request, 'region');
  // A malformed region falls to Coalmine's own, where Plan refuses it by name before any call.
  return typeof region === 'string' && REGION_NAME.test(region) ? region : undefined;
}

/** The region a Task's payload is about: the plan's, else the request's; undefined for Coalmine's own. */
export function payloadRegion(payload: unknown): string | undefined {
  const state = field(payload, 'state');
  return requestRegion(field(state, 'plan')) ?? requestRegion(field(payload, 'request') ?? state);
}

/**
 * One value per region, built on first use and kept: the ports (and under them the SDK clients) of
 * each region a payload names. `home` is the region Coalmine runs in, so that naming it and naming
 * none share one set.
 */
export function perRegion<T>(build: (region: string | undefined) => T, home?: string): (region: string | undefined) => T {
  const built = new Map<string | undefined, T>();
  return (region = home) => {
    if (!built.has(region)) built.set(region, build(region));
    return built.get(region)!;
  };
}

/** A step that runs, for each payload, with the ports of the region that payload names. */
export function regionalStep<T>(build: (region: string | undefined) => (payload: unknown) => Promise<T>, home?: string): (payload: unknown) => Promise<T> {
  const stepIn = perRegion(build, home);
  return (payload) => stepIn(payloadRegion(payload))(payload);
}
