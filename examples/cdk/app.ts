/**
 * A CDK app (TypeScript) whose every `cdk deploy` with changed code publishes a new version of the
 * function and leaves the "live" alias where it is; Coalmine then canaries the alias to it.
 *
 *   npm install aws-cdk-lib constructs && npx cdk deploy
 */
import { App, CfnOutput, Duration, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export class CheckoutStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const logGroup = new logs.LogGroup(this, 'CheckoutLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const fn = new lambda.Function(this, 'CheckoutFunction', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'handler.handler',
      code: lambda.Code.fromAsset('src'),
      memorySize: 256,
      timeout: Duration.seconds(10),
      logGroup,
    });
    // Opt in: a published version of this function starts a Coalmine canary of its "live" alias.
    Tags.of(fn).add('coalmine:alias', 'live');
    Tags.of(fn).add('coalmine:strategy', 'Canary10Percent5Minutes');

    // currentVersion is an AWS::Lambda::Version whose logical ID changes with the code and
    // configuration: a deploy that changes the function publishes a new version. Nothing points
    // the serving alias at it; that is Coalmine's job.
    const published = fn.currentVersion;

    // The alias that serves traffic, made once on version 1 (the first deploy's version) and never
    // updated by CloudFormation again. Not `new lambda.Alias({ version: fn.currentVersion })` and
    // not `fn.addAlias('live')`: both point it at the new version on every deploy, and a
    // LambdaDeploymentGroup on it hands it to CodeDeploy.
    const live = new lambda.CfnAlias(this, 'LiveAlias', {
      functionName: fn.functionName,
      functionVersion: '1',
      name: 'live',
      description: "Serves traffic. Moved only by Coalmine's canaries.",
    });
    live.node.addDependency(published);

    // Callers reach the function through the live alias (here a function URL on it).
    const url = new lambda.CfnUrl(this, 'LiveUrl', {
      targetFunctionArn: fn.functionArn,
      qualifier: 'live',
      authType: 'AWS_IAM',
    });
    url.addDependency(live);

    new CfnOutput(this, 'FunctionName', { value: fn.functionName });
    new CfnOutput(this, 'PublishedVersion', { value: published.version });
    new CfnOutput(this, 'LiveUrlOutput', { value: url.attrFunctionUrl });
  }
}

const app = new App();
new CheckoutStack(app, 'checkout');
