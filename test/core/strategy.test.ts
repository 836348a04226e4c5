import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/core/errors.ts';
import { CODEDEPLOY_STRATEGIES, DEFAULT_API_STRATEGY, parseStrategy } from '../../src/core/strategy.ts';

describe('parseStrategy', () => {
  it.each([
    ['Canary10Percent5Minutes', [10], 5],
    ['Canary10Percent10Minutes', [10], 10],
    ['Canary10Percent15Minutes', [10], 15],
    ['Canary10Percent30Minutes', [10], 30],
    ['Linear10PercentEvery1Minute', [10, 20, 30, 40, 50, 60, 70, 80, 90], 1],
    ['Linear10PercentEvery2Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90], 2],
    ['Linear10PercentEvery3Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90], 3],
    ['Linear10PercentEvery10Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90], 10],
    ['AllAtOnce', [], 0],
  ])('turns %s into its CodeDeploy schedule', (name, steps, intervalMinutes) => {
    expect(parseStrategy(name)).toMatchObject({ name, steps, intervalMinutes });
  });

  it('knows all nine CodeDeploy Lambda configurations', () => {
    expect(Object.keys(CODEDEPLOY_STRATEGIES)).toHaveLength(9);
  });

  it('accepts the CodeDeployDefault.Lambda prefix', () => {
    expect(parseStrategy('CodeDeployDefault.LambdaCanary10Percent5Minutes')).toMatchObject({ steps: [10], intervalMinutes: 5 });
  });

  it('accepts a custom schedule and drops a final 100, which is the promotion', () => {
    expect(parseStrategy({ steps: [1, 5, 25, 50, 100], intervalMinutes: 3 })).toMatchObject({ steps: [1, 5, 25, 50], intervalMinutes: 3 });
  });

  it.each([
    [{ steps: [10, 5], intervalMinutes: 1 }, 'strategy.steps[1]: weights must increase, got 10 then 5'],
    [{ steps: [10, 10], intervalMinutes: 1 }, 'strategy.steps[1]: weights must increase'],
    [{ steps: [0, 10], intervalMinutes: 1 }, 'strategy.steps[0]: weights must be in (0, 100]'],
    [{ steps: [10, 101], intervalMinutes: 1 }, 'strategy.steps[1]: weights must be in (0, 100]'],
    [{ steps: [-5], intervalMinutes: 1 }, 'strategy.steps[0]'],
    [{ steps: [Number.NaN], intervalMinutes: 1 }, 'strategy.steps[0]'],
    [{ steps: [], intervalMinutes: 1 }, 'strategy.steps: must list at least one weight'],
    [{ steps: [10], intervalMinutes: 0 }, 'strategy.intervalMinutes'],
    [{ steps: [10], intervalMinutes: 1.5 }, 'strategy.intervalMinutes'],
    ['Canary99Percent1Minute', 'strategy: unknown strategy "Canary99Percent1Minute"'],
    ['toString', 'strategy: unknown strategy "toString"'],
    ['CodeDeployDefault.Lambdaconstructor', 'strategy: unknown strategy "CodeDeployDefault.Lambdaconstructor"'],
    [{ steps: [100], intervalMinutes: 5 }, 'strategy.steps: [100] shifts everything at once with no canary step'],
  ])('rejects %j with a one-line reason', (request, message) => {
    expect(() => parseStrategy(request)).toThrow(InvalidRequestError);
    expect(() => parseStrategy(request)).toThrow(message);
  });

  it('keeps weights increasing, inside (0, 100), for any valid custom schedule', () => {
    const increasing = fc
      .uniqueArray(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 20 })
      .map((weights) => [...weights].sort((a, b) => a - b));
    fc.assert(
      fc.property(increasing, fc.integer({ min: 1, max: 60 }), (steps, intervalMinutes) => {
        // [100] alone is no canary, and is refused (tested above).
        fc.pre(!(steps.length === 1 && steps[0] === 100));
        const strategy = parseStrategy({ steps, intervalMinutes });
        strategy.steps.forEach((weight, index) => {
          expect(weight).toBeGreaterThan(0);
          expect(weight).toBeLessThan(100);
          if (index > 0) expect(weight).toBeGreaterThan(strategy.steps[index - 1]!);
        });
        expect(strategy.steps.length).toBeGreaterThanOrEqual(steps.length - 1);
      }),
    );
  });

  it('rejects every schedule that does not increase', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 10 }), (steps) => {
        fc.pre(steps.some((weight, index) => index > 0 && weight <= steps[index - 1]!));
        expect(() => parseStrategy({ steps, intervalMinutes: 1 })).toThrow(InvalidRequestError);
      }),
    );
  });

  it('gives every built-in schedule increasing weights below 100', () => {
    for (const strategy of [...Object.values(CODEDEPLOY_STRATEGIES), DEFAULT_API_STRATEGY]) {
      expect([...strategy.steps].sort((a, b) => a - b)).toEqual(strategy.steps);
      expect(strategy.steps.every((weight) => weight > 0 && weight < 100)).toBe(true);
    }
  });
});
