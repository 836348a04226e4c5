/**
 * A release: one version across regions and functions, a wave at a time (docs/contract.md §3).
 * Validation happens here, before any canary starts; every failure is one line that names the field
 * and says why. The parsed release is what the release state machine takes as input: each target a
 * canary request with its region, each wave's bake in seconds (a Wait state cannot multiply).
 *
 * @example
 * const release = parseRelease(JSON.parse(text));
 * release.input.waves[0].targets[0]; // { functionName: 'checkout', alias: 'live', candidateVersion: '13', region: 'eu-west-3' }
 */
import * as z from 'zod/mini';
import './zod-messages.ts';
import { InvalidRequestError } from './errors.ts';
import { REGION_NAME } from './regions.ts';
import { clip, closest, parseRequest } from './request.ts';

const MAX_BAKE_MINUTES = 7 * 24 * 60;

export const ON_FAILURE = ['stop', 'roll-back-all'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

const targetSchema = z.looseObject({
  region: z.string().check(z.regex(REGION_NAME, 'must be a region name, e.g. eu-west-1')),
  /** Local runs only: the scenario (a built-in name or a file) that simulates this target. */
  scenario: z.optional(z.string().check(z.minLength(1))),
});

const waveSchema = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(80)),
  bakeMinutes: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(MAX_BAKE_MINUTES)), 0),
  targets: z.array(targetSchema).check(z.minLength(1, 'must hold at least one target'), z.maxLength(40)),
});

export const releaseSchema = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(80)),
  waves: z.array(waveSchema).check(z.minLength(1, 'must hold at least one wave'), z.maxLength(20)),
  onFailure: z._default(z.enum(ON_FAILURE), 'stop'),
});

/** One target as the release state machine passes it to a canary: a request, and its region. */
export type ReleaseTargetInput = Record<string, unknown> & { region: string; functionName: string; alias: string; candidateVersion: string | number };

/** The release state machine's input. */
export interface ReleaseInput {
  name: string;
  onFailure: OnFailure;
  waves: { name: string; bakeSeconds: number; targets: ReleaseTargetInput[] }[];
}

export interface Release {
  input: ReleaseInput;
  /** Local runs: the scenario for each target, by `targetKey`. */
  scenarios: Map<string, string | undefined>;
}

/** What names a target within a release: its region, function and alias. */
export function targetKey(target: { region: string; functionName: string; alias: string }): string {
  return `${target.region}/${target.functionName}:${target.alias}`;
}

/**
 * Validates a release. Throws InvalidRequestError whose message is one line: `field: reason`,
 * the field named by its path (`waves[1].targets[0].alias: is required`).
 */
export function parseRelease(input: unknown): Release {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidRequestError(`release: must be a JSON object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`);
  }
  const parsed = releaseSchema.safeParse(input);
  if (!parsed.success) throw new InvalidRequestError(firstIssue(parsed.error));
  const scenarios = new Map<string, string | undefined>();
  const waves = parsed.data.waves.map((wave, w) => ({
    name: wave.name,
    bakeSeconds: wave.bakeMinutes * 60,
    targets: wave.targets.map((checked, t) => {
      const { region, scenario } = checked;
      // The request as the file wrote it: zod's copy silently drops a "__proto__" key, which
      // parseRequest refuses as an unknown field like any other.
      const { region: _region, scenario: _scenario, ...request } = rawTarget(input, w, t);
      const where = `waves[${w}].targets[${t}]`;
      let canary;
      try {
        canary = parseRequest(request);
      } catch (error) {
        if (error instanceof Error) throw new InvalidRequestError(`${where}.${error.message}`, { cause: error });
        throw error;
      }
      const arnRegion = canary.functionArn?.split(':')[3];
      if (arnRegion !== undefined && arnRegion !== region) {
        // The release passes the canary the function's name alone, in the target's region: an ARN of
        // another region would canary its namesake there.
        throw new InvalidRequestError(`${where}.functionName: ${clip(canary.functionArn!)} is in ${arnRegion}, not in the target's region ${region}`);
      }
      const key = targetKey({ region, functionName: canary.functionName, alias: canary.alias });
      if (scenarios.has(key)) throw new InvalidRequestError(`${where}: ${key} is already a target of this release; a release changes each alias once`);
      scenarios.set(key, scenario);
      // The request as written (Plan validates it again on AWS), with the function's plain name so
      // that every state names the target alike.
      return { ...request, functionName: canary.functionName, region } as ReleaseTargetInput;
    }),
  }));
  return { input: { name: parsed.data.name, onFailure: parsed.data.onFailure, waves }, scenarios };
}

/** A target exactly as the release file holds it (parseRelease has checked it is an object). */
function rawTarget(input: object, wave: number, target: number): Record<string, unknown> {
  return (input as { waves: { targets: Record<string, unknown>[] }[] }).waves[wave]!.targets[target]!;
}

function firstIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.length ? pathText(issue.path) : 'release';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = issue.path.length === 0 ? Object.keys(releaseSchema.shape) : Object.keys(waveSchema.shape);
    const suggestion = closest(key, known);
    return `${issue.path.length ? `${path}.` : ''}${clip(key)}: unknown field${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
  }
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${path}: is required`;
  if (issue.code === 'invalid_value' && issue.path.at(-1) === 'onFailure') return `${path}: must be "stop" or "roll-back-all"`;
  return `${path}: ${issue.message}`;
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
}
