/**
 * The simulated account's Step Functions, as far as Cleanup asks it: an execution's status and its
 * input. The local runner records each execution as it starts and ends.
 */
import { ExecutionNotFoundError } from '../../core/errors.ts';
import type { ExecutionDescription, ExecutionRegistry } from '../../core/ports.ts';
import type { FaultInjector } from '../faults.ts';

export interface SimExecutions {
  readonly registry: ExecutionRegistry;
  /** Records (or updates) an execution: RUNNING as it starts, its ending status when it ends. */
  record(execution: ExecutionDescription): void;
}

export function createSimExecutions(faults: FaultInjector): SimExecutions {
  const executions = new Map<string, ExecutionDescription>();
  return {
    registry: {
      describeExecution: (executionArn) =>
        faults.call('executions.describeExecution', [executionArn], () => {
          const execution = executions.get(executionArn);
          if (!execution) throw new ExecutionNotFoundError(`Execution Does Not Exist: '${executionArn}'`);
          return { ...execution };
        }),
    },
    record(execution) {
      const known = executions.get(execution.executionArn);
      executions.set(execution.executionArn, { ...known, ...execution });
    },
  };
}
