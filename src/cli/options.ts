/**
 * Options several commands share, and turning zod's complaint about a command's options into the
 * one line a person reads on stderr.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';

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

/** The text of a file an option names (`shown` as the user wrote it); InvalidRequestError when it cannot be read. */
export function readOptionFile(option: string, path: string, shown: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidRequestError(`${option}: cannot read ${shown} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

/** The JSON in a file's text; InvalidRequestError naming the option and the file when it is not JSON. */
export function parseOptionJson(option: string, text: string, shown: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidRequestError(`${option}: ${shown} is not JSON (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
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
