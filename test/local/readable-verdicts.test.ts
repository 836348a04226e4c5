import { describe, expect, it } from 'vitest';
import { runLocal, type ProgressEvent } from '../../src/local/runner.ts';
import { createSimAccount } from '../../src/sim/account/index.ts';
import { listScenarios } from '../../src/sim/scenario.ts';

/**
 * What a person reads must be words and intervals: no raw evidence ("evidence 1,597 reached 167"), and no number of 8
 * or more digits (thousands separators count as part of the number), in any reason, check summary,
 * status line or outcome of any shipped scenario's run.
 */
function unreadable(line: string): string | undefined {
  if (/evidence\s+[\d∞]|e-value/i.test(line)) return 'shows raw evidence';
  const long = (line.replace(/(\d),(?=\d{3})/g, '$1').match(/\d+/g) ?? []).find((digits) => digits.length >= 8);
  return long ? `has the ${long.length}-digit number ${long}` : undefined;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every line for people in a state's output: status, verdict reasons and check summaries, the outcome's reason and checks. */
function linesOf(output: unknown): string[] {
  const state = isObject(output) && isObject(output['Payload']) ? output['Payload'] : output;
  if (!isObject(state)) return [];
  const lines: string[] = [];
  if (typeof state['status'] === 'string') lines.push(state['status']);
  const verdict = state['verdict'];
  if (isObject(verdict)) {
    lines.push(...(verdict['reasons'] as string[]));
    for (const check of (verdict['checks'] as Json[] | undefined) ?? []) lines.push(String(check['summary']));
  }
  const outcome = state['outcome'];
  if (isObject(outcome)) {
    lines.push(String(outcome['reason']));
    for (const check of (outcome['checks'] as Json[] | undefined) ?? []) lines.push(String(check['summary']));
  }
  return lines;
}

describe('what every shipped scenario tells a person', () => {
  for (const scenario of listScenarios()) {
    it(`${scenario.name}: every look lists its checks, and no line carries raw evidence or an 8-digit number`, async () => {
      const lines: string[] = [];
      const account = createSimAccount(scenario, { seed: 1 });
      const result = await runLocal({
        scenario,
        seed: 1,
        account,
        onEvent: (event: ProgressEvent) => {
          if (event.type === 'state' && event.event.output !== undefined) lines.push(...linesOf(event.event.output));
        },
      });
      lines.push(result.reason);
      for (const step of result.steps) {
        lines.push(...step.reasons);
        expect(step.checks.length, `look at minute ${step.minute}`).toBeGreaterThan(0);
        expect(step.checks.map((check) => check.name)).toContain('errors');
        for (const check of step.checks) lines.push(check.summary);
      }
      for (const event of account.events) {
        lines.push(...linesOf({ outcome: event.detail }));
        // The outcome event names the checks of the look that decided.
        if (event.detailType !== 'Canary Failed') expect((event.detail as { checks?: unknown[] }).checks?.length ?? 0).toBeGreaterThan(0);
      }

      expect(lines.length).toBeGreaterThan(result.steps.length);
      expect(lines.map((line) => ({ line, problem: unreadable(line) })).filter(({ problem }) => problem)).toEqual([]);
      if (result.outcome === 'rolled-back' && result.steps.at(-1)?.decision === 'rollback') {
        const decisive = result.steps.at(-1)!.checks[0]!;
        // A rollback on a check names it first; one for want of a verdict has none failing.
        if (decisive.phase === 'fail') expect(decisive.summary).toMatch(/roll back/);
      }
    });
  }
});
