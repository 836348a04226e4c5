/**
 * A local run's execution name: the name `coalmine start` gives the same canary (see
 * src/core/execution-name.ts), then `-local-<seed>`, the whole within Step Functions' 80 characters.
 *
 * @example
 * localExecutionName({ functionName: 'checkout', alias: 'live', candidateVersion: '13' }, 7);
 * // 'checkout_live_v13_<8 hex digits>-local-7'
 */
import { executionNameFor, MAX_EXECUTION_NAME_LENGTH } from '../core/execution-name.ts';

export interface NameParts {
  functionName: string;
  alias: string;
  candidateVersion: string;
}

/** `<start's name>-local-<seed>`; when that is too long, the readable part is cut, never the hash. */
export function localExecutionName(parts: NameParts, seed: number): string {
  const suffix = `-local-${String(seed).replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const base = executionNameFor(parts.functionName, parts.alias, parts.candidateVersion);
  const room = MAX_EXECUTION_NAME_LENGTH - suffix.length;
  if (base.length <= room) return `${base}${suffix}`;
  const cut = base.lastIndexOf('_');
  const hash = base.slice(cut);
  return `${base.slice(0, Math.max(0, room - hash.length))}${hash}${suffix}`;
}
