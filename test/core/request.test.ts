import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoalmineError, InvalidRequestError, InvalidVersionError } from '../../src/core/errors.ts';
import { parseRequest } from '../../src/core/request.ts';

const valid = { functionName: 'checkout', alias: 'live', candidateVersion: '13' };

describe('parseRequest', () => {
  it('accepts a minimal request and fills the defaults', () => {
    const request = parseRequest(valid);
    expect(request).toMatchObject({ functionName: 'checkout', alias: 'live', candidateVersion: '13', redriveOnRollback: true, allowFifo: false });
    expect(request.strategy).toBeUndefined();
    expect(request.analysis.alpha).toBeGreaterThan(0);
  });

  it('reads a function ARN as the function name', () => {
    expect(parseRequest({ ...valid, functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout' }).functionName).toBe('checkout');
  });

  it('accepts version numbers given as numbers, and "latest"', () => {
    expect(parseRequest({ ...valid, candidateVersion: 13, stableVersion: 12 })).toMatchObject({ candidateVersion: '13', stableVersion: '12' });
    expect(parseRequest({ ...valid, candidateVersion: 'latest' }).candidateVersion).toBe('latest');
  });

  it('parses the strategy', () => {
    expect(parseRequest({ ...valid, strategy: 'Linear10PercentEvery1Minute' }).strategy?.steps).toHaveLength(9);
  });

  it.each([
    [{ alias: 'live', candidateVersion: '13' }, InvalidRequestError, 'functionName: is required'],
    [{ ...valid, functionName: 42 }, InvalidRequestError, 'functionName:'],
    [{ ...valid, functionName: 'check out' }, InvalidRequestError, 'functionName: "check out" is not a function name'],
    [{ ...valid, functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live' }, InvalidRequestError, 'is a qualified ARN'],
    [{ ...valid, alias: '123' }, InvalidRequestError, 'alias: "123" is not an alias name'],
    [{ ...valid, alias: 'live; rm -rf /' }, InvalidRequestError, 'alias:'],
    [{ ...valid, candidateVersion: '$LATEST' }, InvalidVersionError, '$LATEST cannot be canaried'],
    [{ ...valid, candidateVersion: '1.0' }, InvalidRequestError, 'candidateVersion: "1.0" is not a published version number'],
    [{ ...valid, stableVersion: '13' }, InvalidVersionError, 'equals stableVersion'],
    [{ ...valid, functonName: 'x' }, InvalidRequestError, 'functonName: unknown field; did you mean "functionName"?'],
    [{ functonName: 'checkout', alias: 'live', candidateVersion: '13' }, InvalidRequestError, 'functonName: unknown field; did you mean "functionName"?'],
    [{ functionName: 'checkout', alais: 'live', candidateVersion: '13' }, InvalidRequestError, 'alais: unknown field; did you mean "alias"?'],
    [{ ...valid, analysis: { alpah: 0.05 } }, InvalidRequestError, 'analysis.alpah: unknown field; did you mean "alpha"?'],
    [{ ...valid, analysis: { alpha: 2 } }, InvalidRequestError, 'analysis.alpha:'],
    [{ ...valid, strategy: { steps: [50, 10], intervalMinutes: 5 } }, InvalidRequestError, 'strategy.steps[1]: weights must increase'],
    // A custom schedule's own field is named, not the whole "name or schedule" union.
    [{ ...valid, strategy: { steps: [10, 50] } }, InvalidRequestError, 'strategy.intervalMinutes: is required'],
    [{ ...valid, strategy: { steps: ['10'], intervalMinutes: 5 } }, InvalidRequestError, 'strategy.steps.0: Invalid input: expected number, received string'],
    [{ ...valid, strategy: { stepz: [10], intervalMinutes: 5 } }, InvalidRequestError, 'strategy.stepz: unknown field; did you mean "steps"?'],
    [{ ...valid, strategy: 5 }, InvalidRequestError, 'strategy: expected a strategy name or { "steps": [...], "intervalMinutes": n }, got number'],
    [{ ...valid, redriveOnRollback: 'yes' }, InvalidRequestError, 'redriveOnRollback:'],
    [[valid], InvalidRequestError, 'request: must be a JSON object, got an array'],
    [null, InvalidRequestError, 'request: must be a JSON object, got null'],
  ])('rejects %j with a named error and a one-line reason', (input, errorClass, message) => {
    expect(() => parseRequest(input)).toThrow(errorClass);
    expect(() => parseRequest(input)).toThrow(message);
  });

  it('keeps error messages to one short printable line, whatever the input holds', () => {
    fc.assert(
      fc.property(fc.record({ functionName: fc.string({ maxLength: 5000 }), alias: fc.string({ maxLength: 5000 }), candidateVersion: fc.oneof(fc.string(), fc.integer()) }), (input) => {
        try {
          parseRequest(input);
        } catch (error) {
          expect(error).toBeInstanceOf(CoalmineError);
          const message = (error as Error).message;
          expect(message).not.toMatch(/\n/);
          expect(message.length).toBeLessThan(400);
        }
      }),
    );
  });

  it('never throws anything but a named Coalmine error on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        try {
          parseRequest(input);
        } catch (error) {
          expect(error).toBeInstanceOf(CoalmineError);
        }
      }),
    );
  });
});

describe('parseRequest: checks before traffic', () => {
  it('keeps postPromotionMinutes, and leaves it out when not asked for', () => {
    expect(parseRequest({ ...valid, postPromotionMinutes: 30 }).postPromotionMinutes).toBe(30);
    expect(parseRequest(valid)).not.toHaveProperty('postPromotionMinutes');
  });

  it.each([
    [0, /^postPromotionMinutes: must be at least 1 minute$/],
    [1441, /^postPromotionMinutes: must be at most 1440 minutes \(a day\)$/],
    [2.5, /^postPromotionMinutes: /],
    ['30', /^postPromotionMinutes: /],
  ])('refuses postPromotionMinutes %j in one line naming the field', (postPromotionMinutes, message) => {
    expect(() => parseRequest({ ...valid, postPromotionMinutes })).toThrow(message);
  });

  it('keeps smoke events and a hook, and drops a preTraffic that asks for nothing', () => {
    const hookFunction = 'arn:aws:lambda:eu-west-1:123456789012:function:checkout-hook:live';
    expect(parseRequest({ ...valid, preTraffic: { smokeEvents: [{ path: '/' }], hookFunction } }).preTraffic).toEqual({ smokeEvents: [{ path: '/' }], hookFunction });
    expect(parseRequest({ ...valid, preTraffic: { hookFunction: 'checkout-hook' } }).preTraffic).toEqual({ smokeEvents: [], hookFunction: 'checkout-hook' });
    expect(parseRequest({ ...valid, preTraffic: {} }).preTraffic).toBeUndefined();
  });

  it.each([
    [{ smokeEvents: {} }, /^preTraffic\.smokeEvents: /],
    [{ smokeEvents: Array.from({ length: 21 }, () => ({})) }, /^preTraffic\.smokeEvents: .*20/],
    [{ smokeEvents: [{ body: 'x'.repeat(70_000) }] }, /^preTraffic\.smokeEvents: \d+ bytes of JSON, more than 65536/],
    [{ hookFunction: 'not a function' }, /^preTraffic\.hookFunction: "not a function" is not a function name or ARN$/],
    [{ smokeEvent: [] }, /^preTraffic\.smokeEvent: unknown field; did you mean "smokeEvents"\?$/],
  ])('refuses %j in one line naming the field', (preTraffic, message) => {
    expect(() => parseRequest({ ...valid, preTraffic })).toThrow(InvalidRequestError);
    expect(() => parseRequest({ ...valid, preTraffic })).toThrow(message);
  });
});

describe('parseRequest: release gates', () => {
  it('keeps the alarm names once each, and drops gates that name none', () => {
    expect(parseRequest({ ...valid, gates: { alarms: ['checkout-5xx', 'checkout-5xx', 'db-cpu'] } }).gates).toEqual({ alarms: ['checkout-5xx', 'db-cpu'] });
    expect(parseRequest({ ...valid, gates: { alarms: [] } }).gates).toBeUndefined();
  });

  it.each([
    [{ alarms: 'checkout-5xx' }, /^gates\.alarms: /],
    [{ alarms: [''] }, /^gates\.alarms\.0: /],
    [{ alarm: ['x'] }, /^gates\.alarm: unknown field; did you mean "alarms"\?$/],
    [{ startWindows: [{ from: '9:00', to: '17:00' }] }, /^gates\.startWindows\.0\.from: expected a time as HH:MM/],
    [{ startWindows: [{ from: '17:00', to: '09:00' }] }, /^gates\.startWindows\.0\.to: 09:00 is not after from \(17:00\); a window over midnight is two windows$/],
    [{ startWindows: [{ from: '09:00', to: '17:00', timeZone: 'Mars/Olympus' }] }, /^gates\.startWindows\.0\.timeZone: "Mars\/Olympus" is not an IANA time zone/],
    [{ startWindows: [{ days: ['Monday'], from: '09:00', to: '17:00' }] }, /^gates\.startWindows\.0\.days\.0: /],
  ])('refuses %j in one line naming the field', (gates, message) => {
    expect(() => parseRequest({ ...valid, gates })).toThrow(message);
  });
});
