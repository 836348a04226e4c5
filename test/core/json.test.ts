import { describe, expect, it } from 'vitest';
import { JsonInputError, MAX_JSON_DEPTH, parseJsonText } from '../../src/core/json.ts';

describe('parseJsonText', () => {
  it('reads JSON as JSON.parse does', () => {
    expect(parseJsonText('{"a": [1, {"b": "x\\"y"}], "c": null}')).toEqual({ a: [1, { b: 'x"y' }], c: null });
  });

  it('reads past a UTF-8 byte order mark', () => {
    expect(parseJsonText('\uFEFF{"minutes": 30}')).toEqual({ minutes: 30 });
  });

  it('refuses a key given twice, naming it by its path', () => {
    expect(() => parseJsonText('{"minutes": 30, "minutes": 3000}')).toThrow(JsonInputError);
    expect(() => parseJsonText('{"waves": [{"targets": []}, {"targets": [], "targets": []}]}')).toThrow(/^waves\[1\]\.targets: given twice/);
    expect(() => parseJsonText('{"traffic": {"pattern": "steady", "pattern": "bursty"}}')).toThrow(/^traffic\.pattern: given twice/);
  });

  it('lets the same key appear in different objects, and a key that is also a value', () => {
    expect(parseJsonText('{"a": {"x": 1}, "b": {"x": 2}, "c": ["x", "x"], "x": "x"}')).toEqual({ a: { x: 1 }, b: { x: 2 }, c: ['x', 'x'], x: 'x' });
  });

  it('tells keys apart by their meaning, escapes decoded', () => {
    expect(() => parseJsonText('{"a": 1, "\\u0061": 2}')).toThrow(/^a: given twice/);
  });

  it('refuses nesting deeper than Coalmine reads, and accepts it up to the limit', () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    expect(() => parseJsonText(nested(MAX_JSON_DEPTH))).not.toThrow();
    expect(() => parseJsonText(nested(MAX_JSON_DEPTH + 1))).toThrow(`nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
  });

  it('still throws the SyntaxError of text that is not JSON', () => {
    expect(() => parseJsonText('{"a": ')).toThrow(SyntaxError);
  });
});
