/**
 * S3, as `coalmine deploy` uses it: the artifacts bucket that holds the function bundles and the
 * state machine definition CloudFormation reads, found or made, and objects uploaded once by content.
 *
 * Every call names the account that must own the bucket (ExpectedBucketOwner): a bucket name is
 * global, and code must never be uploaded to, or deployed from, a bucket someone else made.
 */
import {
  CreateBucketCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ArtifactsBucketError } from '../core/errors.ts';
import { toCoalmineError } from './errors.ts';

function statusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

export class ArtifactsBucket {
  constructor(private readonly client: S3Client) {}

  /**
   * Makes sure `bucket` exists in `region` and belongs to `account`: creates it (private, every
   * public access blocked) when it does not exist; throws ArtifactsBucketError when another account
   * owns the name. Returns true when it created the bucket.
   */
  async ensure(bucket: string, account: string, region: string): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: account }));
      return false;
    } catch (error) {
      if (statusOf(error) === 403) {
        throw new ArtifactsBucketError(`--artifacts-bucket: bucket "${bucket}" exists but is not this account's (${account}), or this identity may not read it; pass --artifacts-bucket with a bucket of yours`, { cause: error });
      }
      if (statusOf(error) !== 404 && nameOf(error) !== 'NotFound' && nameOf(error) !== 'NoSuchBucket') throw toCoalmineError(error, 's3:HeadBucket');
    }
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: bucket,
          // us-east-1 is the one region that takes no location constraint (and refuses its own name).
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      );
    } catch (error) {
      if (nameOf(error) === 'BucketAlreadyExists') {
        throw new ArtifactsBucketError(`--artifacts-bucket: the name "${bucket}" is taken by another account; pass --artifacts-bucket with a bucket of yours`, { cause: error });
      }
      if (nameOf(error) !== 'BucketAlreadyOwnedByYou') throw toCoalmineError(error, 's3:CreateBucket');
    }
    await this.client.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        ExpectedBucketOwner: account,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      }),
    );
    return true;
  }

  /** Uploads `body` to `key` unless an object is already there (keys name their content). Returns true when it uploaded. */
  async putOnce(bucket: string, key: string, body: Uint8Array, account: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ExpectedBucketOwner: account }));
      return false;
    } catch (error) {
      if (statusOf(error) !== 404 && nameOf(error) !== 'NotFound') throw toCoalmineError(error, `s3:HeadObject ${key}`);
    }
    try {
      await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ExpectedBucketOwner: account }));
    } catch (error) {
      throw toCoalmineError(error, `s3:PutObject ${key}`);
    }
    return true;
  }
}
