import { describe, expect, it } from 'vitest';
import { payloadRegion, perRegion, regionalStep, requestRegion } from '../../src/core/regions.ts';

describe('the region a step works in', () => {
  it('is the plan’s once Plan has run, the request’s before, and Coalmine’s own when neither names one', () => {
    expect(payloadRegion({ request: { functionName: 'checkout', region: 'eu-west-3' } })).toBe('eu-west-3');
    expect(payloadRegion({ state: { plan: { region: 'ap-south-1' }, request: { region: 'eu-west-3' } } })).toBe('ap-south-1');
    // A Rollback after Plan failed gets the request itself as its state.
    expect(payloadRegion({ state: { functionName: 'checkout', region: 'us-west-2', error: {} } })).toBe('us-west-2');
    expect(payloadRegion({ request: { functionName: 'checkout' } })).toBeUndefined();
    expect(payloadRegion(null)).toBeUndefined();
  });

  it('is never a malformed name: that falls to Coalmine’s own region, where Plan refuses it by name', () => {
    expect(requestRegion({ region: 'Europe' })).toBeUndefined();
    expect(requestRegion({ region: 42 })).toBeUndefined();
    expect(requestRegion({ region: 'us-gov-west-1' })).toBe('us-gov-west-1');
  });

  it('gets its ports built once per region, naming Coalmine’s own region sharing the set of naming none', () => {
    const built: (string | undefined)[] = [];
    const portsIn = perRegion((region) => {
      built.push(region);
      return { region };
    }, 'eu-west-1');

    expect(portsIn('eu-west-3')).toBe(portsIn('eu-west-3'));
    expect(portsIn(undefined)).toBe(portsIn('eu-west-1'));
    expect(built).toEqual(['eu-west-3', 'eu-west-1']);
  });

  it('runs each payload with the step built for its region', async () => {
    const step = regionalStep((region) => async (payload: unknown) => ({ region, payload }));

    await expect(step({ state: { plan: { region: 'sa-east-1' } } })).resolves.toMatchObject({ region: 'sa-east-1' });
    await expect(step({ request: {} })).resolves.toMatchObject({ region: undefined });
  });
});
