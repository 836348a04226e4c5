/**
 * Options several commands share, and turning zod's complaint about a command's options into the
 * one line a person reads on stderr.
 */
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import { JsonInputError, parseJsonText } from '../core/json.ts';

/** Which account and region an AWS command works in: a profile of the AWS config, and a region. */
export const awsOptions = {
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'a region name, e.g. eu-west-1').optional(),
  profile: z.string().min(1).optional(),
};

/** Which Coalmine state machine a command talks to (an ARN, or the stack whose output names it), and where. */
export const stateMachineOptions = {
  stateMachine: z.string().startsWith('arn:', 'must be a state machine ARN').optional(),
  stack: z.string().min(1).optional(),
  ...awsOptions,
};

/**
 * The JSON in a file's text; InvalidRequestError naming the option and the file when it is not JSON,
 * or naming the field that holds a number too large to read.
 */
export function parseOptionJson(option: string, text: string, shown: string): unknown {
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (error) {
    if (error instanceof JsonInputError) {
      const line = error.field === undefined ? `${option}: ${shown} ${error.reason}` : `${error.message} in ${shown}`;
      throw new InvalidRequestError(line, { cause: error });
    }
    throw new InvalidRequestError(`${option}: ${shown} is not JSON (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
  // Only an object has fields to name; anything else is refused by the caller as not an object.
  const huge = value !== null && typeof value === 'object' && !Array.isArray(value) ? nonFiniteAt(value, '') : undefined;
  if (huge !== undefined) {
    // JSON.parse reads 1e400 as Infinity, which JSON.stringify then sends on as null: refuse it here, by name.
    throw new InvalidRequestError(`${huge}: a number too large to read (beyond ±1.8e308) in ${shown}`);
  }
  return value;
}

/** The path (`analysis.maxP99Ms`, `waves[0].bakeMinutes`) of the first number that is not finite, if any. */
function nonFiniteAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nonFiniteAt(item, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** camelCase option key → `--kebab-case` flag, unless `flags` names it. */
function flagOf(key: string, flags: Record<string, string>): string {
  return flags[key] ?? `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** `--seeds: must be a whole number from 1 to 100000` — the first issue, named by its flag. */
export function zodLine(error: z.ZodError, flags: Record<string, string> = {}): string {
  const issue = error.issues[0];
  if (!issue) return 'options: invalid';
  if (issue.code === 'unrecognized_keys') return `${issue.keys.map((key) => flagOf(key, flags)).join(', ')}: unknown option`;
  const key = issue.path[0];
  const where = typeof key === 'string' ? flagOf(key, flags) : 'options';
  return `${where}: ${issue.message}`;
}
