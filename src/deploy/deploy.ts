/**
 * `coalmine deploy`'s work, from the installed package and the AWS SDK alone (no SAM CLI):
 *
 * 1. who and where: the account (STS) and the region;
 * 2. the artifacts bucket: --artifacts-bucket, or coalmine-artifacts-ACCOUNT-REGION, made once per
 *    account and region. A name derived from the account needs no lookup and no state kept anywhere,
 *    so every run, from any machine, finds the same bucket; it lives outside the stack because the
 *    stack cannot be created from a bucket it has yet to make;
 * 3. upload the prebuilt function zips and the state machine definition, each under a key made
 *    from its content (so a re-run with the same package uploads nothing and changes nothing);
 * 4. a change set with the SAM transform (CREATE or UPDATE), executed, waited for.
 */
import { readFileSync } from 'node:fs';
import { Capability } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { InvalidRequestError, StackNotReadyError } from '../core/errors.ts';
import type { StackDeployer, StackInfo } from '../aws/cloudformation.ts';
import type { ArtifactsBucket } from '../aws/s3.ts';
import { packageFile } from '../package-files.ts';
import { artifactKey, localArtifacts, pointAtArtifacts, stackParameters, type Artifact, type CfnTemplate, type ParameterFlags } from './template.ts';

/** CloudFormation takes a template body of at most this many bytes; a larger one goes through S3. */
const MAX_TEMPLATE_BODY = 51_200;
/** The output that tells a Coalmine stack (template.yaml's Outputs). */
const COALMINE_OUTPUT = 'StateMachineArn';
const KEY_PREFIX = 'coalmine';

export interface DeployRequest extends ParameterFlags {
  stack: string;
  region: string;
  artifactsBucket?: string | undefined;
  parameter?: string[] | undefined;
}

export interface DeployDeps {
  stacks: StackDeployer;
  artifacts: ArtifactsBucket;
  sts: STSClient;
  /** Where a progress line goes (stderr). */
  log: (line: string) => void;
  now?: () => Date;
  /** The package's files; default: this package's own. */
  readPackageFile?: (path: string) => Uint8Array;
}

export interface DeployResult {
  stack: string;
  region: string;
  action: 'created' | 'updated' | 'unchanged';
  status: string;
  artifactsBucket: string;
  uploaded: number;
  outputs: Record<string, string>;
}

/** Statuses a stack can be updated from; REVIEW_IN_PROGRESS (a create that never ran) takes a CREATE change set again. */
function changeSetType(stackName: string, stack: StackInfo | undefined): 'CREATE' | 'UPDATE' {
  if (!stack || stack.status === 'REVIEW_IN_PROGRESS') return 'CREATE';
  if (stack.status.endsWith('_IN_PROGRESS')) {
    throw new StackNotReadyError(`stack ${stackName} is ${stack.status}; wait until it settles and deploy again`);
  }
  if (['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'CREATE_FAILED', 'DELETE_FAILED'].includes(stack.status)) {
    throw new StackNotReadyError(`stack ${stackName} is ${stack.status}: its first create failed; delete it (aws cloudformation delete-stack --stack-name ${stackName}) and deploy again`);
  }
  if (stack.status === 'UPDATE_ROLLBACK_FAILED') {
    throw new StackNotReadyError(`stack ${stackName} is UPDATE_ROLLBACK_FAILED; finish the rollback (aws cloudformation continue-update-rollback --stack-name ${stackName}) and deploy again`);
  }
  if (!(COALMINE_OUTPUT in stack.outputs)) {
    // Never replace another application's stack with Coalmine's template.
    throw new InvalidRequestError(`--stack: stack ${stackName} exists and is not a Coalmine stack (it has no ${COALMINE_OUTPUT} output); choose another name`);
  }
  return 'UPDATE';
}

export async function deploy(request: DeployRequest, deps: DeployDeps): Promise<DeployResult> {
  const read = deps.readPackageFile ?? ((path: string) => readFileSync(packageFile(path)));
  const now = deps.now ?? (() => new Date());
  const template = JSON.parse(Buffer.from(read('dist/template.json')).toString('utf8')) as CfnTemplate;

  const stack = await deps.stacks.describe(request.stack);
  const type = changeSetType(request.stack, stack);
  const parameters = stackParameters(template, request, request.parameter ?? [], type === 'UPDATE' ? stack?.parameterKeys : undefined);

  const identity = await deps.sts.send(new GetCallerIdentityCommand({}));
  const account = identity.Account ?? '';
  const bucket = request.artifactsBucket ?? `coalmine-artifacts-${account}-${request.region}`;
  if (await deps.artifacts.ensure(bucket, account, request.region)) deps.log(`Created the artifacts bucket s3://${bucket}`);

  const artifacts: Artifact[] = localArtifacts(template).map((artifact) => {
    const body = read(artifact.file);
    const extension = artifact.file.slice(artifact.file.lastIndexOf('.') + 1);
    return { ...artifact, body, key: artifactKey(KEY_PREFIX, artifact.resource, extension, body) };
  });
  let uploaded = 0;
  for (const artifact of artifacts) {
    if (await deps.artifacts.putOnce(bucket, artifact.key, artifact.body, account)) uploaded += 1;
  }
  deps.log(`Artifacts in s3://${bucket}/${KEY_PREFIX}/: ${uploaded} uploaded, ${artifacts.length - uploaded} already there`);

  const body = JSON.stringify(pointAtArtifacts(template, bucket, artifacts));
  let templateSource: { body: string } | { url: string } = { body };
  if (Buffer.byteLength(body) > MAX_TEMPLATE_BODY) {
    const bytes = Buffer.from(body);
    const key = artifactKey(KEY_PREFIX, 'template', 'json', bytes);
    await deps.artifacts.putOnce(bucket, key, bytes, account);
    templateSource = { url: `https://${bucket}.s3.${request.region}.amazonaws.com/${key}` };
  }

  const started = now();
  const changeSetName = `coalmine-deploy-${started.toISOString().replace(/[^0-9]/g, '').slice(0, 14)}`;
  deps.log(`Creating change set ${changeSetName} (${type}) for stack ${request.stack} in ${request.region}`);
  const changeSet = await deps.stacks.prepare({
    stackName: request.stack,
    changeSetName,
    type,
    template: templateSource,
    parameters,
    // The template makes IAM roles (CAPABILITY_IAM) and uses the SAM transform (CAPABILITY_AUTO_EXPAND).
    capabilities: [Capability.CAPABILITY_IAM, Capability.CAPABILITY_AUTO_EXPAND],
    tags: [{ Key: 'coalmine:deployed-by', Value: 'coalmine deploy' }],
    description: 'coalmine deploy',
  });
  if (changeSet.state === 'empty') {
    const current = (await deps.stacks.describe(request.stack)) ?? stack!;
    return { stack: request.stack, region: request.region, action: 'unchanged', status: current.status, artifactsBucket: bucket, uploaded, outputs: current.outputs };
  }
  deps.log(`Executing ${changeSetName}; CloudFormation takes a few minutes`);
  const deployed = await deps.stacks.execute(request.stack, changeSet.id, started);
  return { stack: request.stack, region: request.region, action: type === 'CREATE' ? 'created' : 'updated', status: deployed.status, artifactsBucket: bucket, uploaded, outputs: deployed.outputs };
}
