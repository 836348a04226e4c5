import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { executionNameFor, executionNamePrefixFor, functionNameOf, MAX_EXECUTION_NAME_LENGTH } from '../../src/core/execution-name.ts';

const anyPart = fc.string({ minLength: 1, maxLength: 200, unit: 'binary' });
const lambdaName = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

describe('executionNameFor', () => {
  it('is always a valid Step Functions name of at most 80 characters', () => {
    fc.assert(
      fc.property(anyPart, anyPart, anyPart, (functionName, alias, version) => {
        const name = executionNameFor(functionName, alias, version);
        expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME_LENGTH);
        expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
      }),
    );
  });

  it('is deterministic: the same function, alias and version give the same name', () => {
    fc.assert(
      fc.property(anyPart, anyPart, anyPart, (functionName, alias, version) => {
        expect(executionNameFor(functionName, alias, version)).toBe(executionNameFor(`${functionName}`, `${alias}`, `${version}`));
      }),
    );
  });

  it('tells apart deployments whose readable parts look alike (dashes, underscores, cut-off names)', () => {
    fc.assert(
      fc.property(fc.tuple(lambdaName, lambdaName, fc.stringMatching(/^[1-9][0-9]{0,5}$/)), fc.tuple(lambdaName, lambdaName, fc.stringMatching(/^[1-9][0-9]{0,5}$/)), (a, b) => {
        fc.pre(a.join('\n') !== b.join('\n'));
        expect(executionNameFor(...a)).not.toBe(executionNameFor(...b));
      }),
    );
    expect(executionNameFor('a-b', 'c', '1')).not.toBe(executionNameFor('a', 'b-c', '1'));
  });

  it('reads as function, alias and version, then the hash', () => {
    expect(executionNameFor('checkout-api', 'live', '13')).toMatch(/^checkout-api_live_v13_[0-9a-f]{8}$/);
  });

  it('keeps the hash when it has to cut a long name', () => {
    const name = executionNameFor('f'.repeat(64), 'a'.repeat(64), '1234567890');
    expect(name).toHaveLength(MAX_EXECUTION_NAME_LENGTH);
    expect(name).toMatch(/_[0-9a-f]{8}$/);
  });

  it('names a function the same whether given by name or by ARN', () => {
    fc.assert(
      fc.property(lambdaName, (functionName) => {
        const arn = `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`;
        expect(executionNameFor(arn, 'live', '3')).toBe(executionNameFor(functionName, 'live', '3'));
        expect(functionNameOf(arn)).toBe(functionName);
      }),
    );
  });

  it("starts with the prefix that list --function looks for", () => {
    fc.assert(
      fc.property(lambdaName, lambdaName, (functionName, alias) => {
        expect(executionNameFor(functionName, alias, '7').startsWith(executionNamePrefixFor(functionName))).toBe(true);
      }),
    );
  });
});
