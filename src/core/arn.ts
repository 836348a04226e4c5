/**
 * The one place ARNs are taken apart, for the core, the adapters and the CLI. These helpers only
 * read ARNs; they never decide anything.
 */

/** The parts of an ARN: `arn:partition:service:region:account:resource`. */
export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Splits an ARN, or returns undefined when `value` is not one. */
export function parseArn(value: string): ArnParts | undefined {
  const parts = value.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, account, ...resource] = parts as [string, string, string, string, string, ...string[]];
  return { partition, service, region, account, resource: resource.join(':') };
}

/** The region an ARN names (`arn:aws:states:eu-west-1:…` → eu-west-1), if it is an ARN with one. */
export function regionOf(value: string | undefined): string | undefined {
  const region = value === undefined ? undefined : parseArn(value)?.region;
  return region ? region : undefined;
}

/**
 * The bare function name from a name, a partial ARN or a full ARN, qualified or not.
 *
 * @example
 * lambdaFunctionName('arn:aws:lambda:eu-west-1:123456789012:function:checkout:live'); // 'checkout'
 * lambdaFunctionName('checkout'); // 'checkout'
 */
export function lambdaFunctionName(nameOrArn: string): string {
  const arn = parseArn(nameOrArn);
  if (arn) return arn.resource.split(':')[1] ?? arn.resource;
  // Partial ARN `123456789012:function:name[:qualifier]` or `name[:qualifier]`.
  const parts = nameOrArn.split(':');
  const at = parts.indexOf('function');
  if (at >= 0 && parts[at + 1]) return parts[at + 1]!;
  return parts[0]!;
}

/** A function ARN without its qualifier (version or alias). */
export function unqualifiedFunctionArn(functionArn: string): string {
  const arn = parseArn(functionArn);
  if (!arn) return functionArn;
  const name = arn.resource.split(':')[1] ?? '';
  return `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.account}:function:${name}`;
}

/** The queue's name from its ARN (`arn:aws:sqs:region:account:name`). */
export function sqsQueueName(queueArn: string): string {
  return parseArn(queueArn)?.resource ?? queueArn;
}

/** The account that owns a queue, from its ARN. */
export function sqsQueueAccount(queueArn: string): string | undefined {
  return parseArn(queueArn)?.account || undefined;
}
