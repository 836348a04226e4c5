import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { yamlParse } from 'yaml-cfn';
import { aslProblems, iamProblems, resourceSpecProblems } from './aws-data.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const template = yamlParse(readFileSync(`${root}template.yaml`, 'utf8')) as Template;
const aslText = readFileSync(`${root}statemachine/canary.asl.json`, 'utf8');

type Json = unknown;
interface Resource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Properties?: Record<string, Json>;
  Metadata?: Record<string, Json>;
}
interface Template {
  Metadata: Record<string, Json>;
  Parameters: Record<string, { Type: string; Default?: string }>;
  Conditions: Record<string, Json>;
  Globals: { Function: Record<string, Json> };
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: Json }>;
}

/** A template an example ships (Globals, Conditions… only when it has them). */
type AnyTemplate = Pick<Template, 'Resources'> & Partial<Template>;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
}

// asl-validator ships no types: its default export takes a definition and reports.
const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

// --- A small evaluator for the intrinsics the template uses, to check what CloudFormation would get.
const NO_VALUE = Symbol('AWS::NoValue');
const PSEUDO: Record<string, string> = {
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  'AWS::StackName': 'coalmine',
  'AWS::Partition': 'aws',
};
const SAMPLE_PARAMETERS = {
  TargetFunctionArns: ['arn:aws:lambda:*:123456789012:function:team-*', 'arn:aws:lambda:eu-west-1:123456789012:function:checkout'],
  TargetQueueArns: ['arn:aws:sqs:*:123456789012:team-*'],
  HookFunctionArns: ['arn:aws:lambda:*:123456789012:function:team-*-hook'],
  NotificationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:deploys',
  EventBusName: 'default',
  ReleasePublisherArns: ['arn:aws:iam::123456789012:role/release-*'],
  LogRetentionDays: '30',
};

function evaluate(node: Json, parameters: Record<string, string | string[]>, conditions: Record<string, boolean> = {}, resources: Record<string, Resource> = template.Resources): Json {
  const ref = (name: string): Json => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in parameters) return parameters[name];
    if (name in PSEUDO) return PSEUDO[name];
    if (name in resources) return `arn:aws:test:eu-west-1:123456789012:${name}`;
    throw new Error(`Ref to unknown ${name}`);
  };
  const sub = (text: string, vars: Record<string, Json>) =>
    text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return String(vars[name]);
      if (name.includes('.') && !name.startsWith('AWS::')) return `${name}-attribute`;
      return String(ref(name));
    });
  if (Array.isArray(node)) return node.map((item) => evaluate(item, parameters, conditions, resources)).filter((item) => item !== NO_VALUE);
  if (typeof node !== 'object' || node === null) return node;
  const entries = Object.entries(node as Record<string, Json>);
  if (entries.length === 1) {
    const [key, arg] = entries[0]!;
    const ev = (value: Json) => evaluate(value, parameters, conditions, resources);
    switch (key) {
      case 'Ref':
        return ref(arg as string);
      case 'Fn::GetAtt':
        return `arn:aws:test:eu-west-1:123456789012:${(arg as string[]).join('.')}`;
      case 'Fn::Join':
        return (ev((arg as Json[])[1]) as string[]).join((arg as string[])[0]);
      case 'Fn::Split':
        return (ev((arg as Json[])[1]) as string).split((arg as string[])[0]!);
      case 'Fn::Sub':
        if (typeof arg === 'string') return sub(arg, {});
        return sub((arg as [string, Record<string, Json>])[0], Object.fromEntries(Object.entries((arg as [string, Record<string, Json>])[1]).map(([k, v]) => [k, ev(v)])));
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, Json, Json];
        if (!(condition in conditions)) throw new Error(`unknown condition ${condition}`);
        return ev(conditions[condition] ? whenTrue : whenFalse);
      }
      case 'Fn::Equals':
        return JSON.stringify(ev((arg as Json[])[0])) === JSON.stringify(ev((arg as Json[])[1]));
      case 'Fn::Not':
        return !ev((arg as Json[])[0]);
      default:
        break;
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, evaluate(v, parameters, conditions, resources)]).filter(([, v]) => v !== NO_VALUE));
}

function conditionsFor(parameters: Record<string, string | string[]>, of: Template = template): Record<string, boolean> {
  return Object.fromEntries(Object.entries(of.Conditions ?? {}).map(([name, expression]) => [name, evaluate(expression, parameters, {}, of.Resources) as boolean]));
}

const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');
const stateMachine = template.Resources['CanaryStateMachine']!;

/** Every inline statement of the template's roles and functions, with where it comes from. */
function statements(parameters: Record<string, string | string[]>, of: Template = template): Array<{ owner: string; statement: Statement }> {
  const conditions = conditionsFor(parameters, of);
  const found: Array<{ owner: string; statement: Statement }> = [];
  for (const [name, resource] of Object.entries(of.Resources)) {
    // A managed policy is one document; a role or function lists its policies.
    const policies = (resource.Type === 'AWS::IAM::ManagedPolicy' ? [resource.Properties] : (resource.Properties?.['Policies'] ?? [])) as Json[];
    for (const policy of evaluate(policies, parameters, conditions, of.Resources) as Array<Record<string, Json>>) {
      const document = (policy['PolicyDocument'] ?? policy) as { Statement?: Statement[] };
      for (const statement of document.Statement ?? []) found.push({ owner: name, statement });
    }
  }
  return found;
}

const asList = (value: Json): string[] => (Array.isArray(value) ? (value as string[]) : [value as string]);


// --- The checks every CloudFormation template passes: Coalmine's own, and the examples' (a
// Serverless Framework service's `resources` are CloudFormation too).
const serverless = yamlParse(readFileSync(`${root}examples/serverless/serverless.yml`, 'utf8')) as { resources: { Resources: Record<string, Resource> } };
const TEMPLATES: Array<[string, AnyTemplate, Record<string, string | string[]>]> = [
  ['template.yaml', template, SAMPLE_PARAMETERS],
  ['template.yaml without queues or topic', template, { ...SAMPLE_PARAMETERS, TargetQueueArns: [''], NotificationTopicArn: '' }],
  ['examples/sam/template.yaml', yamlParse(readFileSync(`${root}examples/sam/template.yaml`, 'utf8')) as AnyTemplate, {}],
  ['examples/serverless/serverless.yml (resources)', { Resources: serverless.resources.Resources }, {}],
];

describe.each(TEMPLATES)('%s, as CloudFormation', (_, checked, parameters) => {
  const lambdas = Object.entries(checked.Resources).filter(([, resource]) => ['AWS::Serverless::Function', 'AWS::Lambda::Function'].includes(resource.Type));

  it('runs every function on nodejs22.x arm64', () => {
    const globals = checked.Globals?.Function ?? {};
    for (const [name, fn] of lambdas) {
      expect(fn.Properties?.['Runtime'] ?? globals['Runtime'], name).toBe('nodejs22.x');
      expect(fn.Properties?.['Architectures'] ?? globals['Architectures'], name).toEqual(['arm64']);
    }
  });

  it('says what becomes of each log group when the stack is deleted or the group replaced', () => {
    for (const [name, resource] of Object.entries(checked.Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup')) {
      expect(resource.DeletionPolicy, name).toBe('Delete');
      expect(resource.UpdateReplacePolicy, name).toBe('Delete');
    }
  });

  it('never lets a deploy move an alias that Coalmine canaries', () => {
    for (const [name, fn] of lambdas) {
      const canaried = (fn.Properties?.['Tags'] as Record<string, string> | undefined)?.['coalmine:alias'];
      expect(fn.Properties?.['DeploymentPreference'], name).toBeUndefined();
      if (canaried === undefined) continue;
      // AutoPublishAlias on the canaried alias points it at every new version before Coalmine starts.
      expect(fn.Properties?.['AutoPublishAlias'], name).not.toBe(canaried);
      const aliases = Object.values(checked.Resources).filter((r) => r.Type === 'AWS::Lambda::Alias' && r.Properties?.['Name'] === canaried);
      for (const alias of aliases) expect(typeof alias.Properties?.['FunctionVersion'], `${name}:${canaried} FunctionVersion`).toBe('string');
    }
  });

  it('names every IAM action, never * or service:*', () => {
    for (const { owner, statement } of statements(parameters, checked as Template)) {
      for (const action of asList(statement.Action)) expect(action.includes('*'), `${owner} ${statement.Sid}: ${action}`).toBe(false);
    }
  });

  it('names only IAM actions that exist, and uses Resource * exactly for those that take no required resource type (Service Authorization Reference)', async () => {
    const found = statements(parameters, checked as Template).map(({ owner, statement }) => ({ owner, sid: statement.Sid, actions: asList(statement.Action), resources: asList(statement.Resource) }));

    expect(await iamProblems(found)).toEqual([]);
  });

  it('gives plain resources only the properties, values and GetAtt attributes CloudFormation knows (its resource database)', async () => {
    expect(await resourceSpecProblems(checked)).toEqual([]);
  }, 60_000);
});

describe('the checks from AWS’s own data', () => {
  it('catch an action that does not exist, * on an action that takes a resource, and a resource on one that takes none', async () => {
    const problems = await iamProblems([
      { owner: 'A', actions: ['lambda:UpdateAliass'], resources: ['arn:aws:lambda:*:1:function:x'] },
      { owner: 'B', actions: ['lambda:UpdateAlias'], resources: ['*'] },
      { owner: 'C', actions: ['xray:PutTraceSegments'], resources: ['arn:aws:xray:*:1:group/x'] },
    ]);

    expect(problems).toEqual([
      'A: lambda:UpdateAliass is not an IAM action',
      'B: lambda:UpdateAlias takes a resource type (function), so "*" grants more than it needs',
      'C: xray:PutTraceSegments takes no resource type, so only "*" lets it work',
    ]);
  });

  it('catch an unknown property, a value outside the allowed ones, a missing required property and an unknown GetAtt attribute', async () => {
    const problems = await resourceSpecProblems({
      Resources: {
        Rule: { Type: 'AWS::Events::Rule', Properties: { State: 'ON', EventPattern: {} } },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionDays: 30 } },
        Url: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM' } },
        Out: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: { 'Fn::GetAtt': ['Url', 'Endpoint'] } } },
      },
    });

    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining('Rule.State: "ON" is not one of DISABLED, ENABLED'),
      expect.stringContaining('Logs.RetentionDays: no such property'),
      'Url.TargetFunctionArn: required, missing',
      expect.stringContaining('Fn::GetAtt Url.Endpoint: AWS::Lambda::Url has no attribute Endpoint'),
    ]));
  }, 60_000);

  it('catch a Next that names no state, and a state nothing leads to', async () => {
    const definition = JSON.parse(aslText) as { StartAt: string; States: Record<string, { Next?: string; Type: string }> };
    const first = definition.States[definition.StartAt]!;
    first.Next = 'Nowhere';
    definition.States['Forgotten'] = { Type: 'Succeed' };

    const problems = await aslProblems(JSON.stringify(definition, null, 2));

    expect(problems.some((line) => line.includes('The value of "Next" property must be the name of an existing state.'))).toBe(true);
    expect(problems.some((line) => line.includes('The state cannot be reached.'))).toBe(true);
  });
});

describe('template.yaml', () => {
  it('runs every function on nodejs22.x arm64 with tracing and source maps', () => {
    const globals = template.Globals.Function;
    expect(globals['Runtime']).toBe('nodejs22.x');
    expect(globals['Architectures']).toEqual(['arm64']);
    expect(globals['Tracing']).toBe('Active');
    expect((globals['Environment'] as { Variables: Record<string, string> }).Variables['NODE_OPTIONS']).toContain('--enable-source-maps');
    for (const [, fn] of functions) {
      expect(fn.Properties?.['Runtime'] ?? 'nodejs22.x').toBe('nodejs22.x');
      expect(fn.Properties?.['Architectures'] ?? ['arm64']).toEqual(['arm64']);
    }
  });

  it.each(functions.map(([name]) => name))('builds %s with esbuild as CommonJS, the SDK left to the runtime, from an entry point that exists', (name) => {
    const fn = template.Resources[name]!;
    expect(fn.Properties?.['CodeUri']).toBe('./');
    expect(fn.Metadata?.['BuildMethod']).toBe('esbuild');
    const build = fn.Metadata?.['BuildProperties'] as Record<string, Json>;
    // handler.cjs: the runtime require()s it, and require() finds the runtime's SDK through NODE_PATH.
    expect(build['Format']).toBe('cjs');
    expect(build['OutExtension']).toEqual(['.js=.cjs']);
    expect(build['External']).toEqual(['@aws-sdk/*', '@smithy/*']);
    expect(build['Target']).toBe('es2022');
    expect(build['Minify']).toBe(true);
    const entryPoints = build['EntryPoints'] as string[];
    expect(entryPoints).toHaveLength(1);
    for (const entry of entryPoints) expect(existsSync(`${root}${entry}`), entry).toBe(true);
  });

  it('fills every ${…} of the ASL from DefinitionSubstitutions, and substitutes nothing the ASL lacks', () => {
    const placeholders = new Set([...aslText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
    const substitutions = Object.keys(stateMachine.Properties?.['DefinitionSubstitutions'] as object);

    expect(placeholders.size).toBeGreaterThan(0);
    expect(new Set(substitutions)).toEqual(placeholders);
    expect(stateMachine.Properties?.['DefinitionUri']).toBe('statemachine/canary.asl.json');
  });

  it('gives the state machine a definition that asl-validator accepts once substituted', () => {
    const substitutions = evaluate(stateMachine.Properties?.['DefinitionSubstitutions'], SAMPLE_PARAMETERS) as Record<string, string>;
    const definition = JSON.parse(aslText.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => substitutions[name]!));

    const result = aslValidator(definition);

    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('gives the AWS Toolkit’s ASL service a definition with no missing target and no unreachable state, once substituted', async () => {
    const substitutions = evaluate(stateMachine.Properties?.['DefinitionSubstitutions'], SAMPLE_PARAMETERS) as Record<string, string>;

    expect(await aslProblems(aslText.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => substitutions[name]!))).toEqual([]);
  });

  it('lets the state machine invoke only the stack’s own functions, and every one its ASL names', () => {
    const substitutions = stateMachine.Properties?.['DefinitionSubstitutions'] as Record<string, Json>;
    const used = [...aslText.matchAll(/"FunctionName": "\$\{([A-Za-z0-9_]+)\}"/g)].map((m) => m[1]!);
    const targets = new Set(used.map((name) => (substitutions[name] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]));
    const policies = stateMachine.Properties?.['Policies'] as Array<Record<string, Json>>;
    const invokable = policies.filter((p) => 'LambdaInvokePolicy' in p).map((p) => ((p['LambdaInvokePolicy'] as { FunctionName: { Ref: string } }).FunctionName.Ref));

    for (const name of invokable) expect(template.Resources[name]?.Type).toBe('AWS::Serverless::Function');
    expect(new Set(invokable)).toEqual(targets);
    const inline = statements(SAMPLE_PARAMETERS).filter((s) => s.owner === 'CanaryStateMachine');
    expect(inline.flatMap((s) => asList(s.statement.Action)).filter((a) => a.startsWith('lambda:'))).toEqual([]);
  });

  it.each([
    ['with queues and a topic', SAMPLE_PARAMETERS],
    ['without queues', { ...SAMPLE_PARAMETERS, TargetQueueArns: [''], NotificationTopicArn: '' }],
  ])('names every IAM action, never * or service:* (%s)', (_, parameters) => {
    const all = statements(parameters);
    expect(all.length).toBeGreaterThan(0);
    for (const { owner, statement } of all) {
      for (const action of asList(statement.Action)) {
        expect(action, `${owner} ${statement.Sid}`).not.toBe('*');
        expect(action.endsWith(':*') || action.endsWith('*'), `${owner} ${statement.Sid}: ${action}`).toBe(false);
      }
    }
  });

  it('scopes Lambda actions to the target patterns, bare and qualified', () => {
    const invokes = (statement: Statement) => asList(statement.Action).includes('lambda:InvokeFunction');
    // ListEventSourceMappings and GetAccountSettings have no resource-level permissions (their own statements, on '*').
    const wildcardOnly = new Set(['lambda:ListEventSourceMappings', 'lambda:GetAccountSettings']);
    const lambdaStatements = statements(SAMPLE_PARAMETERS).filter(({ statement }) => !invokes(statement) && asList(statement.Action).some((a) => a.startsWith('lambda:') && !wildcardOnly.has(a)));

    expect(lambdaStatements.length).toBeGreaterThan(0);
    for (const { statement } of lambdaStatements) {
      expect(statement.Resource).toEqual([...SAMPLE_PARAMETERS.TargetFunctionArns, ...SAMPLE_PARAMETERS.TargetFunctionArns.map((arn) => `${arn}:*`)]);
    }
  });

  it('lets Plan read the account\'s concurrency on its own, and the state machine query only the target functions\' log groups', () => {
    const account = statements(SAMPLE_PARAMETERS).filter(({ statement }) => asList(statement.Action).includes('lambda:GetAccountSettings'));
    const queries = statements(SAMPLE_PARAMETERS).filter(({ statement }) => asList(statement.Action).includes('logs:StartQuery'));

    expect(account.map(({ owner, statement }) => [owner, asList(statement.Action), statement.Resource])).toEqual([['PlanFunction', ['lambda:GetAccountSettings'], '*']]);
    expect(queries.map(({ owner, statement }) => [owner, asList(statement.Action)])).toEqual([['CanaryStateMachine', ['logs:StartQuery', 'logs:GetQueryResults']]]);
    expect(queries[0]!.statement.Resource).toEqual(SAMPLE_PARAMETERS.TargetFunctionArns.map((arn) => arn.replace(':lambda:', ':logs:').replace(':function:', ':log-group:/aws/lambda/')));
  });

  it('lets only the check before traffic invoke: the targets\' versions, and the hooks only when some are given', () => {
    const invoking = (parameters: Record<string, string | string[]>) =>
      statements(parameters).filter(({ owner, statement }) => owner !== 'CanaryStateMachine' && asList(statement.Action).includes('lambda:InvokeFunction'));
    const withHooks = invoking(SAMPLE_PARAMETERS);

    expect(withHooks.map((s) => `${s.owner} ${s.statement.Sid}`).sort()).toEqual(['PreTrafficFunction InvokeTheCandidateVersion', 'PreTrafficFunction InvokeTheHooks']);
    expect(withHooks.find((s) => s.statement.Sid === 'InvokeTheCandidateVersion')!.statement.Resource).toEqual(SAMPLE_PARAMETERS.TargetFunctionArns.map((arn) => `${arn}:*`));
    expect(withHooks.find((s) => s.statement.Sid === 'InvokeTheHooks')!.statement.Resource).toEqual([...SAMPLE_PARAMETERS.HookFunctionArns, ...SAMPLE_PARAMETERS.HookFunctionArns.map((arn) => `${arn}:*`)]);
    expect(invoking({ ...SAMPLE_PARAMETERS, HookFunctionArns: [''] }).map((s) => s.statement.Sid)).toEqual(['InvokeTheCandidateVersion']);
  });

  it('lets Plan and the canary\'s "Read the alarms" read the alarms of the stack\'s own account and region, and only read them', () => {
    const gates = statements(SAMPLE_PARAMETERS).filter(({ statement }) => asList(statement.Action).some((a) => a.startsWith('cloudwatch:') && a !== 'cloudwatch:GetMetricData'));

    expect(gates.map((s) => s.owner).sort()).toEqual(['CanaryStateMachine', 'PlanFunction']);
    for (const { owner, statement } of gates) {
      expect(asList(statement.Action)).toEqual(['cloudwatch:DescribeAlarms']);
      expect(statement.Resource, owner).toBe('arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*');
    }
  });

  it('scopes SQS actions to the target queues, and drops them when there are none', () => {
    const withQueues = statements(SAMPLE_PARAMETERS).filter(({ statement }) => asList(statement.Action).some((a) => a.startsWith('sqs:')));
    const withoutQueues = statements({ ...SAMPLE_PARAMETERS, TargetQueueArns: [''] }).filter(({ statement }) => asList(statement.Action).some((a) => a.startsWith('sqs:')));

    expect(withQueues.map((s) => s.owner).sort()).toEqual(['CleanupFunction', 'PlanFunction', 'RedriveFunction']);
    for (const { statement } of withQueues) expect(statement.Resource).toEqual(SAMPLE_PARAMETERS.TargetQueueArns);
    expect(withoutQueues).toEqual([]);
  });

  it('gives each function only the actions its step uses', () => {
    const actionsOf = (owner: string) => new Set(statements(SAMPLE_PARAMETERS).filter((s) => s.owner === owner).flatMap((s) => asList(s.statement.Action)));

    expect(actionsOf('ShiftFunction')).toEqual(new Set(['lambda:GetAlias', 'lambda:UpdateAlias']));
    expect(actionsOf('PreTrafficFunction')).toEqual(new Set(['lambda:GetAlias', 'lambda:InvokeFunction']));
    expect(actionsOf('PromoteFunction')).toEqual(new Set(['lambda:GetAlias', 'lambda:UpdateAlias']));
    expect(actionsOf('EvaluateFunction')).toEqual(new Set(['lambda:GetAlias', 'cloudwatch:GetMetricData']));
    expect(actionsOf('RedriveFunction')).toEqual(new Set(['sqs:ReceiveMessage', 'sqs:SendMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']));
    for (const owner of ['PlanFunction', 'ShiftFunction', 'EvaluateFunction', 'PromoteFunction', 'RollbackFunction', 'CleanupFunction']) {
      expect([...actionsOf(owner)].filter((a) => ['sqs:SendMessage', 'sqs:DeleteMessage'].includes(a)), owner).toEqual([]);
    }
  });

  it('lets the EventBridge rules start this state machine and nothing else', () => {
    const role = statements(SAMPLE_PARAMETERS).filter((s) => s.owner === 'StartExecutionRole');

    expect(role).toHaveLength(1);
    expect(role[0]!.statement.Action).toBe('states:StartExecution');
    expect(template.Resources['StartExecutionRole']!.Properties!['Policies']).toMatchObject([{ PolicyDocument: { Statement: [{ Resource: { Ref: 'CanaryStateMachine' } }] } }]);
    for (const name of ['VersionPublishedRule', 'ReleaseRequestedRule']) {
      expect(template.Resources[name]!.Properties!['Targets']).toEqual([{ Id: 'CanaryStateMachine', Arn: { Ref: 'CanaryStateMachine' }, RoleArn: { 'Fn::GetAtt': ['StartExecutionRole', 'Arn'] } }]);
    }
  });

  it('starts a canary on the calls that publish a version (PublishVersion, --publish), of the target functions only', () => {
    const pattern = JSON.parse(evaluate(template.Resources['VersionPublishedRule']!.Properties!['EventPattern'], SAMPLE_PARAMETERS) as string);

    expect(pattern).toEqual({
      source: ['aws.lambda'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['lambda.amazonaws.com'],
        eventName: [{ prefix: 'PublishVersion' }, { prefix: 'UpdateFunctionCode' }, { prefix: 'CreateFunction' }],
        errorCode: [{ exists: false }],
        responseElements: {
          version: [{ 'anything-but': '$LATEST' }],
          functionArn: [
            { wildcard: 'arn:aws:lambda:*:123456789012:function:team-*' },
            { wildcard: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout' },
            { wildcard: 'arn:aws:lambda:*:123456789012:function:team-*:*' },
            { wildcard: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:*' },
          ],
        },
      },
    });
  });

  it('sends stopped, timed-out and failed executions of this state machine to Cleanup', () => {
    const events = template.Resources['CleanupFunction']!.Properties!['Events'] as Record<string, { Type: string; Properties: { Pattern: Record<string, Json> } }>;
    const rule = Object.values(events)[0]!;

    expect(rule.Type).toBe('EventBridgeRule');
    expect(rule.Properties.Pattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { stateMachineArn: [{ Ref: 'CanaryStateMachine' }], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
    });
  });

  it('takes release requests on a bus of its own, whose policy denies every publisher it does not name', () => {
    const rule = template.Resources['ReleaseRequestedRule']!;
    const bus = template.Resources['ReleaseEventBus']!;

    expect(rule.Properties!['EventBusName']).toEqual({ Ref: 'ReleaseEventBus' });
    const policy = evaluate(bus.Properties!['Policy'], SAMPLE_PARAMETERS, conditionsFor(SAMPLE_PARAMETERS)) as { Statement: Array<Record<string, Json>> };
    expect(policy.Statement).toEqual([
      {
        Sid: 'OnlyNamedReleasePublishers',
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: 'arn:aws:events:eu-west-1:123456789012:event-bus/coalmine-releases',
        Condition: { ArnNotLike: { 'aws:PrincipalArn': SAMPLE_PARAMETERS.ReleasePublisherArns } },
      },
    ]);
    const open = { ...SAMPLE_PARAMETERS, ReleasePublisherArns: [''] };
    expect(evaluate(bus.Properties!, open, conditionsFor(open))).not.toHaveProperty('Policy');
  });

  it('never drops a failed cleanup: Lambda retries twice, then the event goes to a queue whose alarm pages', () => {
    const cleanup = template.Resources['CleanupFunction']!.Properties!;
    const rule = Object.values(cleanup['Events'] as Record<string, { Properties: Record<string, Json> }>)[0]!;
    const alarm = template.Resources['CleanupFailedAlarm']!.Properties!;

    expect(cleanup['EventInvokeConfig']).toMatchObject({ MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Type: 'SQS', Destination: { 'Fn::GetAtt': ['CleanupFailureQueue', 'Arn'] } } } });
    expect(rule.Properties['DeadLetterConfig']).toEqual({ Arn: { 'Fn::GetAtt': ['CleanupFailureQueue', 'Arn'] } });
    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    expect(evaluate(alarm['AlarmActions'], SAMPLE_PARAMETERS, conditionsFor(SAMPLE_PARAMETERS))).toEqual([SAMPLE_PARAMETERS.NotificationTopicArn]);
    expect(template.Resources['CleanupFailureQueuePolicy']!.Properties!['PolicyDocument']).toMatchObject({
      Statement: [{ Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['CleanupFunctionExecutionStopped', 'Arn'] } } } }],
    });
  });

  it('lets Cleanup describe only executions of this state machine, and find the alias without tags', () => {
    const cleanup = statements(SAMPLE_PARAMETERS).filter((s) => s.owner === 'CleanupFunction');

    expect(cleanup.flatMap((s) => asList(s.statement.Action)).sort()).toEqual([
      'lambda:GetAlias', 'lambda:ListAliases', 'lambda:ListEventSourceMappings', 'lambda:UpdateAlias', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'states:DescribeExecution',
    ]);
    expect(cleanup.find((s) => asList(s.statement.Action).includes('states:DescribeExecution'))!.statement.Resource).toBe('arn:aws:states:eu-west-1:123456789012:execution:CanaryStateMachine.Name-attribute:*');
  });

  it('gives operators one managed policy: this stack’s executions, the task answers, and the target aliases only', () => {
    const operator = statements(SAMPLE_PARAMETERS).filter((s) => s.owner === 'OperatorPolicy');

    expect(operator.map((s) => [s.statement.Sid, asList(s.statement.Action).sort(), s.statement.Resource])).toEqual([
      ['ReadTheExecution', ['states:DescribeExecution', 'states:GetExecutionHistory'], 'arn:aws:states:eu-west-1:123456789012:execution:CanaryStateMachine.Name-attribute:*'],
      ['AnswerTheWaitForApproval', ['states:SendTaskFailure', 'states:SendTaskSuccess'], '*'],
      ['WriteTheControlIntoTheAliasMark', ['lambda:GetAlias', 'lambda:UpdateAlias'], [...SAMPLE_PARAMETERS.TargetFunctionArns, ...SAMPLE_PARAMETERS.TargetFunctionArns.map((arn) => `${arn}:*`)]],
    ]);
    expect(template.Outputs['OperatorPolicyArn']!.Value).toEqual({ Ref: 'OperatorPolicy' });
  });

  it('routes outcome events to the topic only when one is given', () => {
    const rule = template.Resources['OutcomeNotificationRule']!;

    expect(rule.Condition).toBe('HasNotificationTopic');
    expect(conditionsFor(SAMPLE_PARAMETERS)['HasNotificationTopic']).toBe(true);
    expect(conditionsFor({ ...SAMPLE_PARAMETERS, NotificationTopicArn: '' })['HasNotificationTopic']).toBe(false);
    const releases = ['Release Promoted', 'Release Stopped', 'Release Rolled Back', 'Release Failed'];
    expect(rule.Properties!['EventPattern']).toEqual({ source: ['coalmine'], 'detail-type': ['Canary Promoted', 'Canary Rolled Back', 'Canary Failed', 'Canary Awaiting Approval', ...releases] });
    // The detail-types the ASLs announce are the ones the rule listens for, but the approval's task
    // token, renewed at every look while a canary waits (people are asked once, by the one above).
    const announced = [...aslText.matchAll(/"DetailType": "([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(announced)).toEqual(new Set(['Canary Promoted', 'Canary Rolled Back', 'Canary Failed', 'Canary Awaiting Approval', 'Canary Approval Token']));
    const releaseAsl = readFileSync(`${root}statemachine/release.asl.json`, 'utf8');
    expect(new Set([...releaseAsl.matchAll(/"detailType": "([^"]+)"/g)].map((m) => m[1]))).toEqual(new Set(releases));
  });

  it('logs every execution with its data, and traces it', () => {
    expect(stateMachine.Properties?.['Logging']).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    expect(stateMachine.Properties?.['Tracing']).toEqual({ Enabled: true });
  });

  it('has a dashboard whose body is valid JSON once substituted', () => {
    const body = evaluate(template.Resources['Dashboard']!.Properties!['DashboardBody'], SAMPLE_PARAMETERS) as string;
    const parsed = JSON.parse(body) as { widgets: Array<{ properties: { metrics?: Json[][] } }> };

    const outcomeMetrics = parsed.widgets[0]!.properties.metrics!.map((m) => m[1]);
    expect(outcomeMetrics).toEqual(['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsAborted', 'ExecutionsTimedOut']);
  });

  it('carries Serverless Application Repository metadata whose version is the package’s', () => {
    const application = template.Metadata['AWS::ServerlessRepo::Application'] as Record<string, Json>;
    const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string; license: string };

    expect(application['Name']).toMatch(/^[A-Za-z0-9-]{1,140}$/);
    expect(String(application['Description']).length).toBeLessThanOrEqual(256);
    expect(application['SemanticVersion']).toBe(manifest.version);
    expect(application['SpdxLicenseId']).toBe(manifest.license);
    for (const file of [application['LicenseUrl'], application['ReadmeUrl']] as string[]) expect(existsSync(`${root}${file}`), file).toBe(true);
    const labels = application['Labels'] as string[];
    expect(labels.length).toBeLessThanOrEqual(10);
    for (const label of labels) expect(label).toMatch(/^[a-zA-Z0-9+\-_:\/@]{1,127}$/);
  });

  it('outputs the state machine ARN for `coalmine start --stack`', () => {
    expect(template.Outputs['StateMachineArn']!.Value).toEqual({ Ref: 'CanaryStateMachine' });
  });
});

describe('template.yaml: the release state machine', () => {
  const release = template.Resources['ReleaseStateMachine']!;
  const releaseAsl = readFileSync(`${root}statemachine/release.asl.json`, 'utf8');
  const substituted = () => {
    const substitutions = evaluate(release.Properties?.['DefinitionSubstitutions'], SAMPLE_PARAMETERS) as Record<string, string>;
    return releaseAsl.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => substitutions[name]!);
  };

  it('fills every ${…} of release.asl.json from DefinitionSubstitutions: the canary state machine, its executions\' ARNs, and the Restore function', () => {
    const placeholders = new Set([...releaseAsl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));

    expect(release.Properties?.['DefinitionUri']).toBe('statemachine/release.asl.json');
    expect(new Set(Object.keys(release.Properties?.['DefinitionSubstitutions'] as object))).toEqual(placeholders);
    const substitutions = evaluate(release.Properties?.['DefinitionSubstitutions'], SAMPLE_PARAMETERS) as Record<string, string>;
    expect(Object.keys(substitutions).sort()).toEqual(['CanaryExecutionArnPrefix', 'CanaryStateMachineArn', 'EventBusName', 'RestoreFunctionArn']);
    // The executions the release names, stops and describes are the canary state machine's, which its role may stop and describe.
    expect(substitutions['CanaryExecutionArnPrefix']).toMatch(/^arn:aws:states:eu-west-1:123456789012:execution:[^:]+:$/);
  });

  it('has a definition that asl-validator and the AWS Toolkit’s ASL service accept once substituted', async () => {
    const result = aslValidator(JSON.parse(substituted()));

    expect(result.errorsText('\n')).toBe('');
    expect(await aslProblems(substituted())).toEqual([]);
  });

  it('may start only the canary state machine, follow and stop only its executions, and only through the managed rule .sync needs', () => {
    const inline = statements(SAMPLE_PARAMETERS).filter((s) => s.owner === 'ReleaseStateMachine');
    const bySid = Object.fromEntries(inline.map((s) => [s.statement.Sid, s.statement]));

    expect(bySid['StartCanaries']).toMatchObject({ Action: ['states:StartExecution'], Resource: 'arn:aws:test:eu-west-1:123456789012:CanaryStateMachine' });
    expect(bySid['FollowAndStopCanaries']).toMatchObject({ Action: ['states:DescribeExecution', 'states:StopExecution'], Resource: 'arn:aws:states:eu-west-1:123456789012:execution:CanaryStateMachine.Name-attribute:*' });
    expect(bySid['HearCanariesEnd']).toMatchObject({ Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'], Resource: 'arn:aws:events:eu-west-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule' });
    const policies = release.Properties?.['Policies'] as Array<Record<string, Json>>;
    expect(policies.filter((p) => 'LambdaInvokePolicy' in p)).toEqual([{ LambdaInvokePolicy: { FunctionName: { Ref: 'RestoreFunction' } } }]);
    expect(inline.flatMap((s) => asList(s.statement.Action)).filter((a) => a.startsWith('lambda:'))).toEqual([]);
  });

  it('gives Restore only what it needs to read and move an alias', () => {
    const actions = new Set(statements(SAMPLE_PARAMETERS).filter((s) => s.owner === 'RestoreFunction').flatMap((s) => asList(s.statement.Action)));
    expect(actions).toEqual(new Set(['lambda:GetAlias', 'lambda:UpdateAlias']));
  });

  it('logs every execution with its data, traces it, and outputs its ARN', () => {
    expect(release.Properties?.['Logging']).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    expect(release.Properties?.['Tracing']).toEqual({ Enabled: true });
    expect(template.Outputs['ReleaseStateMachineArn']!.Value).toEqual({ Ref: 'ReleaseStateMachine' });
  });
});
