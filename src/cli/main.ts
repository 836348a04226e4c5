/**
 * The `coalmine` command: commander wiring only. Each command lives in its own file, checks its own
 * options and returns its exit code; this is the one place that turns what they return or throw
 * into the process's exit code (0 ok or promoted, 3 rolled back, 2 bad input, 1 anything else).
 */
import { Command, CommanderError, Option } from 'commander';
import { CredentialsError } from '../core/errors.ts';
import type { DeployDeps } from '../deploy/deploy.ts';
import { credentialsHint, regionFor, type AwsConfig } from './aws-config.ts';
import type { AwsDeps } from './aws-context.ts';
import { errorLine, EXIT, exitCodeForError, failureJson } from './exit-codes.ts';
import { processIo, type CliIo } from './io.ts';

export interface MainDeps {
  /** The AWS clients for a region and profile; default: the SDK's, made on first use. */
  aws?: (config: AwsConfig) => AwsDeps;
  /** What `coalmine deploy` works with; default: the SDK's clients for that region and profile. */
  deploy?: (config: { region: string; profile?: string | undefined }) => Omit<DeployDeps, 'log'>;
  /** Resolves when `coalmine console` should stop; default: on SIGINT or SIGTERM. */
  consoleStopped?: () => Promise<void>;
}

const STATE_MACHINE_HELP = 'the Coalmine state machine (default: $COALMINE_STATE_MACHINE_ARN)';

const START_EXAMPLES = `
Examples:
  $ coalmine start --stack coalmine --function checkout-api --alias live --version 13 --wait
  $ coalmine start --function checkout-api --alias live --version "$VERSION" --strategy Linear10PercentEvery3Minutes
  $ coalmine start --request canary.json --version 14 --wait --json

The execution is named after the function, alias and version: running the same command again
(a retried CI job) joins the running execution, or reports the finished one, instead of starting
a second canary.

Exit codes with --wait: 0 promoted · 3 rolled back · 2 bad input · 1 anything else.`;

const DEPLOY_EXAMPLES = `
Examples:
  $ coalmine deploy --stack coalmine --targets 'arn:aws:lambda:*:123456789012:function:team-*' --region eu-west-1
  $ coalmine deploy --stack coalmine --queues 'arn:aws:sqs:*:123456789012:team-*'     # update one parameter, keep the rest

It uploads the package's prebuilt function bundles and state machine definition to the artifacts
bucket, then creates and executes a CloudFormation change set with the SAM transform (capabilities
CAPABILITY_IAM and CAPABILITY_AUTO_EXPAND), waits for it and prints the stack's outputs. Running it
again with nothing changed reports "No changes" and exits 0.

Exit codes: 0 deployed or already up to date · 2 bad input · 1 anything else.`;

async function aws(deps: MainDeps, config: AwsConfig): Promise<AwsDeps> {
  if (deps.aws) return deps.aws(config);
  const { awsDeps } = await import('./aws-context.ts');
  return awsDeps(config);
}

const AWS_HELP = {
  region: 'the AWS region (default: the region of an ARN given, else AWS_REGION or the profile\'s)',
  profile: 'the AWS profile from your AWS config to use (default: AWS_PROFILE, else the default chain)',
};

/** --region, else the region of the first of these options' ARNs; and --profile. */
function configOf(options: Record<string, unknown>, ...arns: unknown[]): AwsConfig {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return regionFor({ region: text(options['region']), profile: text(options['profile']) }, ...arns.map(text));
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Builds the program; `setCode` receives each command's exit code. */
export function buildProgram(io: CliIo, deps: MainDeps, setCode: (code: number) => void): Command {
  const program = new Command()
    .name('coalmine')
    .description('Canary deployments for AWS Lambda, run as an AWS Step Functions workflow.')
    .version('0.1.0', '-V, --version', 'print the version of coalmine')
    .helpOption('-h, --help', 'show help')
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      // Usage errors are one line, suggestion included ("… (Did you mean --wait?)").
      outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    });

  const stateMachineOptions = (command: Command) =>
    command
      .addOption(new Option('--state-machine <arn>', STATE_MACHINE_HELP).conflicts('stack'))
      .option('--stack <name>', 'read the state machine ARN from this CloudFormation stack\'s StateMachineArn output')
      .option('--region <name>', AWS_HELP.region)
      .option('--profile <name>', AWS_HELP.profile);

  program
    .command('run')
    .description('run one canary end to end on the simulated account, through the real state machine definition')
    .option('--local', 'run on the simulated account (required: `start` runs on AWS)')
    .option('--scenario <name|file>', 'a built-in scenario (scenarios/<name>.json) or a scenario file', 'healthy')
    .option('--seed <n>', 'seed of the simulation: a scenario and a seed give the same run', '1')
    .option('--request <file>', 'the state machine input as JSON (as on AWS); default: one made from the scenario')
    .option('--release <file>', 'run a release in waves (docs/releases.md): each target on its own simulated function, in its region')
    .option('--approve <yes|no>', 'how the person answers a canary that waits for approval (request field approval: "before-promote")', 'yes')
    .option('--json', 'print one JSON object (outcome, reason, steps, alias, excessFailures, minutesToDecision, queue)')
    .action(async (options: Record<string, unknown>) => {
      const { runCommand } = await import('./run.ts');
      setCode(await runCommand(options, { stdout: io.stdout, stderr: io.stderr, cwd: io.cwd }));
    });

  program
    .command('bench')
    .description("run many scenarios × seeds through Coalmine's judge and the peer policies, side by side")
    .option('--scenarios <dir|file...>', 'scenario files, or folders of them', ['scenarios'])
    .option('--seeds <n>', 'seeds per scenario and policy', '200')
    .option('--sqs-seeds <n>', 'seeds per SQS scenario and policy (the queue model is slower; default: min(--seeds, 40))')
    .option('--policies <a,b>', 'policies to compare: coalmine, codedeploy-alarm, flagger-threshold, kayenta-mann-whitney, sprt-oracle (default: all)')
    .option('--out <dir>', 'also write the report (JSON and Markdown) to this folder')
    .option('--json', 'print the report as one JSON object instead of a Markdown table')
    .option('--report <name>', 'operating-range: print the per-cell table of a scenario grid (e.g. --scenarios scenarios/grid), and write it to --out as operating-range.md')
    .option('--guarantee', "also check the stated guarantee: per healthy scenario and seed, plan, then place the candidate at 1.2× the bar the plan stated (it must be promoted in ≤ 1% of seeds)")
    .option('--workers <n>', 'run the scenarios on this many worker threads (default: one per core; 1 runs them in this process); the report is the same')
    .action(async (options: Record<string, unknown>) => {
      const { benchCommand } = await import('./bench.ts');
      setCode(await benchCommand(options, io));
    });

  stateMachineOptions(
    program
      .command('start')
      .description('start a canary on AWS (from CI); with --wait, follow it to the end')
      .option('--function <name>', 'the Lambda function (name or ARN)')
      .option('--alias <name>', 'the alias that serves traffic, e.g. live')
      .option('--version <n>', 'the published version to canary (aws lambda publish-version prints it)')
      .option('--strategy <name|json>', 'Canary10Percent5Minutes, Linear10PercentEvery3Minutes, AllAtOnce… or {"steps":[5,25,50],"intervalMinutes":5} (default: Coalmine\'s)'),
  )
    .option('--request <file>', 'a request as JSON (the state machine input); the flags above override its fields')
    .option('--execution-name <name>', 'name the execution yourself (default: from function, alias and version)')
    .option('--wait', 'follow the execution until it ends; the exit code tells how it ended')
    .option('--wait-minutes <n>', 'with --wait, stop following after this many minutes (the execution goes on)')
    .option('--json', 'print one JSON object (with --wait: outcome, reason, steps, alias, minutesToDecision, as `run --json`)')
    .addHelpText('after', START_EXAMPLES)
    .action(async (options: Record<string, unknown>) => {
      const { startCommand } = await import('./start.ts');
      setCode(await startCommand(options, io, await aws(deps, configOf(options, options['stateMachine'], options['function']))));
    });

  program
    .command('release')
    .description('start a release in waves on AWS (docs/releases.md); with --wait, follow it to the end')
    .requiredOption('--file <file>', 'the release file: waves of targets, each a request with its region')
    .addOption(new Option('--state-machine <arn>', 'the release state machine (default: $COALMINE_RELEASE_STATE_MACHINE_ARN)').conflicts('stack'))
    .option('--stack <name>', "read the release state machine ARN from this CloudFormation stack's ReleaseStateMachineArn output")
    .option('--region <name>', AWS_HELP.region)
    .option('--profile <name>', AWS_HELP.profile)
    .option('--wait', 'follow the release until it ends; the exit code tells how it ended (as `run`)')
    .option('--wait-minutes <n>', 'with --wait, stop following after this many minutes (the release goes on)')
    .option('--json', 'print one JSON object (with --wait: outcome, reason, waves with their targets)')
    .action(async (options: Record<string, unknown>) => {
      const { releaseCommand } = await import('./release.ts');
      setCode(await releaseCommand(options, io, await aws(deps, configOf(options, options['stateMachine']))));
    });

  stateMachineOptions(
    program
      .command('status')
      .description("show an execution: where it stands, its latest decision with figures, and how it ended")
      .argument('<execution>', 'execution ARN, or name (with --state-machine, --stack or $COALMINE_STATE_MACHINE_ARN)'),
  )
    .option('--json', 'print one JSON object')
    .action(async (execution: string, options: Record<string, unknown>) => {
      const { statusCommand } = await import('./status.ts');
      setCode(await statusCommand({ ...options, execution }, io, await aws(deps, configOf(options, execution, options['stateMachine']))));
    });

  stateMachineOptions(
    program
      .command('list')
      .description('list recent executions, newest first, with their outcome and reason')
      .option('--function <name>', "only this function's canaries")
      .option('--limit <n>', 'at most this many (1-100)', '20'),
  )
    .option('--json', 'print one JSON object: { executions: [...] }')
    .action(async (options: Record<string, unknown>) => {
      const { listCommand } = await import('./list.ts');
      setCode(await listCommand(options, io, await aws(deps, configOf(options, options['stateMachine']))));
    });

  stateMachineOptions(
    program
      .command('abort')
      .description("stop a running canary; Coalmine's status-change rule then rolls the alias back to the stable version")
      .argument('<execution>', 'execution ARN, or name (with --state-machine, --stack or $COALMINE_STATE_MACHINE_ARN)')
      .option('--reason <text>', 'why, recorded as the cause of the stop', 'stopped with coalmine abort'),
  )
    .option('--json', 'print one JSON object')
    .action(async (execution: string, options: Record<string, unknown>) => {
      const { abortCommand } = await import('./abort.ts');
      setCode(await abortCommand({ ...options, execution }, io, await aws(deps, configOf(options, execution, options['stateMachine']))));
    });

  const CONTROLS = [
    ['approve', 'approve a canary that waits at its final step (request field approval: "before-promote"): it promotes now'],
    ['reject', 'reject a canary that waits for approval: it rolls back to the stable version (rollbackKind "rejected")'],
    ['promote', 'promote a running canary at its next look, skipping the steps left (answers a wait for approval too)'],
    ['pause', 'hold a running canary\'s weights from its next look (a regression still rolls back) until coalmine resume'],
    ['resume', 'release a paused canary: it advances again from its next look'],
  ] as const;
  for (const [name, description] of CONTROLS) {
    const command = stateMachineOptions(
      program
        .command(name)
        .description(description)
        .argument('<execution>', 'execution ARN, or name (with --state-machine, --stack or $COALMINE_STATE_MACHINE_ARN)')
        .option('--by <name>', 'who asks, shown in the reasons (default: your user name)'),
    );
    if (name === 'approve' || name === 'reject') command.option('--comment <text>', 'why, shown in the reason of the promotion or the rollback');
    command.option('--json', 'print one JSON object').action(async (execution: string, options: Record<string, unknown>) => {
      const { controlCommand } = await import('./control.ts');
      setCode(await controlCommand(name, { ...options, execution }, io, await aws(deps, configOf(options, execution, options['stateMachine']))));
    });
  }

  program
    .command('watch')
    .description("judge a traffic split that something else controls (e.g. a CodeDeploy deployment) without writing to the alias: what would Coalmine have decided, and when")
    .option('--function <name>', 'the Lambda function (name or ARN)')
    .option('--alias <name>', 'the alias the other tool shifts, e.g. live')
    .option('--wait-for-split-minutes <n>', 'wait this long, minute by minute, for the alias to split', '30')
    .option('--max-minutes <n>', 'stop watching this long after the split was seen, if it has not ended', '120')
    .option('--region <name>', AWS_HELP.region)
    .option('--profile <name>', AWS_HELP.profile)
    .option('--local', 'watch the simulated account, where a simulated tool shifts the alias on its own schedule')
    .option('--scenario <name|file>', 'with --local: a built-in scenario or a scenario file (default: healthy)')
    .option('--seed <n>', 'with --local: seed of the simulation (default: 1)')
    .option('--json', 'print one JSON object: the looks, what Coalmine would have done and when, what the other tool did and when')
    .action(async (options: Record<string, unknown>) => {
      const { watchCommand } = await import('./watch.ts');
      setCode(await watchCommand(options, io, () => aws(deps, configOf(options, options['function']))));
    });

  program
    .command('deploy')
    .description("deploy Coalmine's own stack from this package, with the AWS SDK alone (no SAM CLI); safe to run again")
    .requiredOption('--stack <name>', 'the CloudFormation stack to create or update, e.g. coalmine')
    .option('--targets <arn-patterns>', 'comma-separated unqualified ARN patterns of the functions Coalmine may canary, e.g. arn:aws:lambda:*:123456789012:function:team-* (required to create; kept on update when not given)')
    .option('--queues <arn-patterns>', 'comma-separated ARN patterns of the SQS queues (and dead-letter queues) that trigger them ("" for none)')
    .option('--notification-topic <arn>', 'an SNS topic for outcome events (promoted, rolled back, failed); "" for none')
    .option('--parameter <key=value...>', 'any other template parameter, e.g. LogRetentionDays=90 or EventBusName=releases')
    .option('--artifacts-bucket <name>', 'an S3 bucket of yours for the code and definition (default: coalmine-artifacts-ACCOUNT-REGION, made if missing)')
    .option('--region <name>', 'the AWS region to deploy to (default: AWS_REGION or the profile\'s)')
    .option('--profile <name>', AWS_HELP.profile)
    .option('--json', 'print one JSON object: stack, region, action (created, updated, unchanged), status, outputs')
    .addHelpText('after', DEPLOY_EXAMPLES)
    .action(async (options: Record<string, unknown>) => {
      const { deployCommand, deployDeps, regionOf } = await import('./deploy.ts');
      setCode(await deployCommand(options, io, deps.deploy ?? deployDeps, regionOf));
    });

  stateMachineOptions(
    program
      .command('console')
      .description('serve the execution viewer on 127.0.0.1: the records of `coalmine run --local`, or with --state-machine/--stack the executions on AWS')
      .option('--port <n>', 'port to listen on (0: any free port)', '4477')
      .option('--dir <folder>', 'folder of execution records', '.coalmine/executions'),
  ).action(async (options: Record<string, unknown>) => {
    const { consoleCommand, wantsStepFunctions } = await import('./console.ts');
    const clients = wantsStepFunctions(options) ? await aws(deps, configOf(options, options['stateMachine'])) : undefined;
    setCode(await consoleCommand(options, io, deps.consoleStopped ?? waitForSignal, clients));
  });

  return program;
}

/**
 * Runs the command line and returns the exit code (bin/coalmine.js sets `process.exitCode`).
 *
 * @example
 * process.exitCode = await main(process.argv);
 */
export async function main(argv: readonly string[], io: CliIo = processIo(), deps: MainDeps = {}): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, deps, (result) => {
    code = result;
  });
  if (argv.length <= 2) {
    io.stderr.write(program.helpInformation());
    return EXIT.badInput;
  }
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; commander has already printed a usage error in one line.
      if (error.exitCode === 0) return EXIT.ok;
      if (argv.includes('--json')) io.stdout.write(`${JSON.stringify(failureJson('InvalidRequestError', error.message))}\n`);
      return EXIT.badInput;
    }
    // A credentials or region problem gets the line that says what to do instead of the SDK's.
    const hint = credentialsHint(error);
    const failure = hint ? new CredentialsError(hint, { cause: error }) : error;
    const line = errorLine(failure);
    io.stderr.write(`coalmine: ${line}\n`);
    // With --json, stdout holds one JSON object whatever happened, for the script reading it.
    if (argv.includes('--json')) io.stdout.write(`${JSON.stringify(failureJson(failure instanceof Error ? failure.name : 'Error', line))}\n`);
    return exitCodeForError(failure);
  }
}
