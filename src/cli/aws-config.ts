/**
 * Where the AWS commands run, and what to tell a person whose credentials or region are missing.
 * No SDK imports here: `main` reads this for every command, and only AWS commands load the SDK.
 */
import { regionOf } from '../core/arn.ts';

/** Where the AWS commands run: `--region` and `--profile`, else the AWS SDK's own chain. */
export interface AwsConfig {
  region?: string | undefined;
  profile?: string | undefined;
}

/** `--region`, else the region of the first ARN given that names one. */
export function regionFor(config: AwsConfig, ...arns: Array<string | undefined>): AwsConfig {
  const region = config.region ?? arns.map(regionOf).find((found) => found !== undefined);
  return { ...(region ? { region } : {}), ...(config.profile ? { profile: config.profile } : {}) };
}

/** The SDK's names for credentials that are missing, unusable or expired, and for a missing region. */
const CREDENTIAL_PROBLEMS = new Set([
  'CredentialsProviderError',
  'TokenProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);

/**
 * When `error` (or what caused it) is a credentials or region problem: one line that says what to
 * do. Undefined otherwise.
 */
export function credentialsHint(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if (/region is missing/i.test(current.message)) return 'no AWS region: pass --region, or set AWS_REGION (or a region in your AWS profile)';
    if (CREDENTIAL_PROBLEMS.has(current.name)) {
      return `no usable AWS credentials (${current.name}: ${current.message.split('\n')[0]}): pass --profile, set AWS_PROFILE, or sign in again (aws sso login / aws configure)`;
    }
  }
  return undefined;
}
