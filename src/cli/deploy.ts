/**
 * `coalmine deploy`: deploys Coalmine's own stack from the installed package (src/deploy/deploy.ts
 * does the work); this file checks the flags and prints. Exit 0 deployed (or nothing to change),
 * 2 bad input, 1 anything else.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import * as z from 'zod';
import { InvalidRequestError } from '../core/errors.ts';
import { StackDeployer } from '../aws/cloudformation.ts';
import { ArtifactsBucket } from '../aws/s3.ts';
import { deploy, type DeployDeps, type DeployResult } from '../deploy/deploy.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { awsOptions, zodLine } from './options.ts';

export const deployOptionsSchema = z.strictObject({
  stack: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a stack name: a letter, then letters, digits and hyphens (at most 128)'),
  targets: z.string().optional(),
  queues: z.string().optional(),
  notificationTopic: z.string().optional(),
  parameter: z.array(z.string()).optional(),
  artifactsBucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
  ...awsOptions,
  json: z.boolean().default(false),
});

export function parseDeployOptions(raw: Record<string, unknown>): z.output<typeof deployOptionsSchema> {
  const parsed = deployOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new InvalidRequestError(zodLine(parsed.error, { notificationTopic: '--notification-topic', artifactsBucket: '--artifacts-bucket' }));
  return parsed.data;
}

function render(result: DeployResult): string {
  const verb = { created: 'Created', updated: 'Updated', unchanged: 'No changes: already up to date,' }[result.action];
  const lines = [`${verb} stack ${result.stack} in ${result.region} (${result.status})`];
  const width = Math.max(0, ...Object.keys(result.outputs).map((key) => key.length));
  for (const [key, value] of Object.entries(result.outputs)) lines.push(`  ${key.padEnd(width)}  ${value}`);
  lines.push('', `Next: coalmine start --stack ${result.stack} --region ${result.region} --function NAME --alias live --version N --wait`);
  return `${lines.join('\n')}\n`;
}

type AwsChoice = { region?: string | undefined; profile?: string | undefined };

/** The region the stack goes to: --region, else the AWS SDK's own (AWS_REGION, the profile's region). */
export type RegionOf = (options: AwsChoice) => Promise<string>;

export const regionOf: RegionOf = async (options) => options.region ?? (await new CloudFormationClient(options.profile ? { profile: options.profile } : {}).config.region());

/** The SDK's clients for the stack's region and the chosen profile. */
export function deployDeps(config: { region: string; profile?: string | undefined }): Omit<DeployDeps, 'log'> {
  const clientConfig = { region: config.region, ...(config.profile ? { profile: config.profile } : {}) };
  return {
    stacks: new StackDeployer(new CloudFormationClient(clientConfig)),
    artifacts: new ArtifactsBucket(new S3Client(clientConfig)),
    sts: new STSClient(clientConfig),
  };
}

export async function deployCommand(raw: Record<string, unknown>, io: CliIo, depsFor: (options: { region: string; profile?: string | undefined }) => Omit<DeployDeps, 'log'>, regionOf: RegionOf): Promise<ExitCode> {
  const options = parseDeployOptions(raw);
  const region = await regionOf(options);
  const result = await deploy(
    { ...options, region },
    { ...depsFor({ region, profile: options.profile }), log: (line) => void io.stderr.write(`${line}\n`) },
  );
  io.stdout.write(options.json ? `${JSON.stringify(result)}\n` : render(result));
  return EXIT.ok;
}
