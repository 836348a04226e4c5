/**
 * The fault-injection suite (docs/failure-modes.md): every Task state of statemachine/canary.asl.json × every
 * fault kind, run through the real ASL on the simulated account with Coalmine's judge, and the end
 * state checked: the alias on exactly one version with no routing left, owned by nobody, the other
 * party's change intact where there was one, and an output that names the cause.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  causeProblems,
  FAULT_KINDS,
  PATH_TO,
  runWithFault,
  safeWithoutCleanup,
  safetyProblems,
  TASK_STATES,
  type FaultKind,
} from './harness.ts';

const cells = TASK_STATES.flatMap((state) => FAULT_KINDS.map((fault) => ({ state, fault })));
const tally = { injected: 0, safe: 0, cells: 0 };

afterAll(() => {
  console.log(`fault-injection suite: ${tally.cells} cells (${TASK_STATES.length} Task states × ${FAULT_KINDS.length} fault kinds, and 3 SQS redrive faults): ${tally.injected} faults injected, ${tally.safe} safe end states`);
});

describe('the fault-injection suite', () => {
  it('has a way to reach every Task state of the workflow', () => {
    expect(TASK_STATES.filter((state) => !PATH_TO[state])).toEqual([]);
    expect(TASK_STATES.length).toBeGreaterThanOrEqual(9);
  });

  describe.each(TASK_STATES)('%s', (state) => {
    it.each(FAULT_KINDS as readonly FaultKind[])('ends safe when it meets: %s', async (fault) => {
      const run = await runWithFault({ state, fault });
      tally.cells++;

      const safety = safetyProblems(run, run.alias);
      const atEnd = safeWithoutCleanup(run) ? safetyProblems(run, run.aliasAtEnd).map((problem) => `before cleanup: ${problem}`) : [];
      const cause = causeProblems(run);
      if (run.injected > 0) tally.injected++;
      if (run.injected > 0 && safety.length === 0 && atEnd.length === 0) tally.safe++;

      expect(run.injected, `the fault was never injected in "${state}"`).toBeGreaterThan(0);
      expect([...safety, ...atEnd, ...cause]).toEqual([]);
    });
  });

  describe('an SQS-triggered canary whose DLQ redrive fails in "Redrive dead letters"', () => {
    it.each(['throttled', 'service error', 'access denied'] as const)('ends safe, loses no message, and names the cause: %s', async (fault) => {
      const run = await runWithFault({ state: 'Redrive dead letters', fault, trigger: 'sqs', calls: ['queues.redrive'] });
      tally.cells++;

      const safety = [...safetyProblems(run, run.alias), ...safetyProblems(run, run.aliasAtEnd).map((problem) => `before cleanup: ${problem}`)];
      if (run.injected > 0) tally.injected++;
      if (run.injected > 0 && safety.length === 0) tally.safe++;

      expect(run.injected).toBeGreaterThan(0);
      expect([...safety, ...causeProblems(run)]).toEqual([]);
      expect(run.result.queue?.lost).toBe(0);
      // The alias was already restored; the canary's dead letters wait in the DLQ for a person.
      expect(run.result.queue?.redriven).toBe(0);
      expect(run.result.queue?.deadLettered).toBeGreaterThan(0);
    });
  });

  it('covers the whole matrix', () => {
    // Runs last in this file: every cell above has counted itself.
    expect(tally.cells).toBe(cells.length + 3);
  });
});
