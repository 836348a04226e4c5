/**
 * What `coalmine deploy` sends to CloudFormation, worked out before anything is touched: the
 * artifacts to upload (one zip per function, the state machine definition), the template with its
 * local CodeUri and DefinitionUri pointed at those objects, and the stack parameters from the flags.
 * Pure: files are read by the caller.
 */
import { createHash } from 'node:crypto';
import type { Parameter } from '@aws-sdk/client-cloudformation';
import { InvalidRequestError } from '../core/errors.ts';

export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: unknown; AllowedValues?: unknown[]; AllowedPattern?: string }>;
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  [section: string]: unknown;
}

/** A file the template points at locally, and where it goes in the artifacts bucket. */
export interface Artifact {
  /** The resource and property that point at it, e.g. PlanFunction CodeUri. */
  resource: string;
  property: 'CodeUri' | 'DefinitionUri';
  /** The package file to upload (relative to the package root). */
  file: string;
  key: string;
  body: Uint8Array;
}

/** The package file behind each local CodeUri / DefinitionUri: prebuilt zips for functions, the file itself for definitions. */
export function localArtifacts(template: CfnTemplate): Array<Omit<Artifact, 'key' | 'body'>> {
  const found: Array<Omit<Artifact, 'key' | 'body'>> = [];
  for (const [name, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::Serverless::Function' && typeof properties['CodeUri'] === 'string' && !String(properties['CodeUri']).startsWith('s3://')) {
      found.push({ resource: name, property: 'CodeUri', file: `dist/functions/${name}.zip` });
    }
    if (resource.Type === 'AWS::Serverless::StateMachine' && typeof properties['DefinitionUri'] === 'string' && !String(properties['DefinitionUri']).startsWith('s3://')) {
      found.push({ resource: name, property: 'DefinitionUri', file: String(properties['DefinitionUri']) });
    }
  }
  return found;
}

/** The object key for a file's content: the same bytes always get the same key, so a re-run uploads nothing and changes nothing. */
export function artifactKey(prefix: string, name: string, extension: string, body: Uint8Array): string {
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 32);
  return `${prefix}/${name}-${digest}.${extension}`;
}

/** A copy of the template whose local CodeUri and DefinitionUri name the uploaded objects. */
export function pointAtArtifacts(template: CfnTemplate, bucket: string, artifacts: Artifact[]): CfnTemplate {
  const copy = structuredClone(template);
  for (const artifact of artifacts) {
    const resource = copy.Resources[artifact.resource]!;
    resource.Properties = { ...resource.Properties, [artifact.property]: { Bucket: bucket, Key: artifact.key } };
  }
  return copy;
}

/** The flags that set a template parameter, with what each must look like. */
export const PARAMETER_FLAGS = {
  targets: { flag: '--targets', parameter: 'TargetFunctionArns', list: true, pattern: /^arn:aws[a-z-]*:lambda:[a-z0-9*?-]*:(\d{12}|\*):function:[^:\s]+$/, expected: 'an unqualified Lambda function ARN pattern, e.g. arn:aws:lambda:*:123456789012:function:team-* (versions and aliases are included)' },
  queues: { flag: '--queues', parameter: 'TargetQueueArns', list: true, pattern: /^arn:aws[a-z-]*:sqs:[a-z0-9*?-]*:(\d{12}|\*):[^:\s]+$/, expected: 'an SQS queue ARN pattern, e.g. arn:aws:sqs:*:123456789012:team-*' },
  notificationTopic: { flag: '--notification-topic', parameter: 'NotificationTopicArn', list: false, pattern: /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[^:\s]+$/, expected: 'an SNS topic ARN' },
} as const;

export type ParameterFlags = { [K in keyof typeof PARAMETER_FLAGS]?: string | undefined };

/**
 * The stack parameters: from the flags and `--parameter KEY=VALUE`, checked against the template's
 * Parameters (names, AllowedValues). On an update, a parameter not given keeps its previous value;
 * on a create, one without a Default must be given. Throws InvalidRequestError naming the flag.
 */
export function stackParameters(template: CfnTemplate, flags: ParameterFlags, extra: string[], existing: string[] | undefined): Parameter[] {
  const declared = template.Parameters ?? {};
  const values = new Map<string, { value: string; flag: string }>();
  for (const [key, spec] of Object.entries(PARAMETER_FLAGS)) {
    const raw = flags[key as keyof ParameterFlags];
    if (raw === undefined) continue;
    const items = spec.list ? raw.split(',').map((item) => item.trim()) : [raw.trim()];
    // An empty value clears an optional parameter (no queues, no topic).
    if (!(items.length === 1 && items[0] === '' && declared[spec.parameter]?.Default !== undefined)) {
      for (const item of items) {
        if (!spec.pattern.test(item)) throw new InvalidRequestError(`${spec.flag}: "${item}" is not ${spec.expected}`);
      }
    }
    values.set(spec.parameter, { value: items.join(','), flag: spec.flag });
  }
  for (const pair of extra) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InvalidRequestError(`--parameter: "${pair}" is not KEY=VALUE`);
    values.set(pair.slice(0, at), { value: pair.slice(at + 1), flag: '--parameter' });
  }
  for (const [key, { value, flag }] of values) {
    const spec = declared[key];
    if (!spec) throw new InvalidRequestError(`${flag}: the template has no parameter ${key} (it has ${Object.keys(declared).join(', ')})`);
    if (spec.AllowedValues && !spec.AllowedValues.map(String).includes(value)) {
      throw new InvalidRequestError(`${flag}: ${key} must be one of ${spec.AllowedValues.join(', ')}, not "${value}"`);
    }
  }
  const parameters: Parameter[] = [];
  for (const [key, spec] of Object.entries(declared)) {
    const given = values.get(key);
    if (given) parameters.push({ ParameterKey: key, ParameterValue: given.value });
    else if (existing?.includes(key)) parameters.push({ ParameterKey: key, UsePreviousValue: true });
    else if (spec.Default === undefined) {
      const flag = Object.values(PARAMETER_FLAGS).find((candidate) => candidate.parameter === key)?.flag ?? `--parameter ${key}=…`;
      throw new InvalidRequestError(existing ? `${flag}: is required (the stack has no value for ${key} yet)` : `${flag}: is required to create the stack`);
    }
  }
  return parameters;
}
