/**
 * The examples under examples/ that teams copy: each SAM, CDK and Serverless app publishes a version
 * on every deploy without moving the alias Coalmine canaries. Their CloudFormation templates also
 * pass the same template checks as Coalmine's own (test/template.test.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { yamlParse } from 'yaml-cfn';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

type Json = Record<string, unknown>;

describe('examples/sam', () => {
  const template = yamlParse(read('examples/sam/template.yaml')) as { Resources: Record<string, { Type: string; DependsOn?: string; Properties: Json }> };
  const fn = template.Resources['CheckoutFunction']!;
  const live = template.Resources['LiveAlias']!;

  it('publishes a version on every deploy through an alias that serves no traffic', () => {
    expect(fn.Properties['AutoPublishAlias']).toBe('published');
    expect(fn.Properties['DeploymentPreference']).toBeUndefined();
    // SAM would connect Events to the AutoPublishAlias alias: every new version would get all traffic.
    expect(fn.Properties['Events']).toBeUndefined();
  });

  it('opts the function in to Coalmine for its live alias, which it creates once and never moves', () => {
    expect((fn.Properties['Tags'] as Json)['coalmine:alias']).toBe('live');
    expect(live.Type).toBe('AWS::Lambda::Alias');
    expect(live.Properties['Name']).toBe('live');
    expect(live.Properties['FunctionVersion']).toBe('1');
    // Version 1 exists once SAM's generated alias does (FunctionLogicalId + "Alias" + alias name).
    expect(live.DependsOn).toBe(`CheckoutFunctionAlias${fn.Properties['AutoPublishAlias']}`);
  });

  it('sends its callers to the live alias', () => {
    const url = template.Resources['LiveUrl']!;
    expect(url.Properties['Qualifier']).toBe('live');
  });
});

describe('examples/cdk', () => {
  const source = read('examples/cdk/app.ts');

  it('is TypeScript that compiles', async () => {
    const result = await transform(source, { loader: 'ts', format: 'esm' });
    expect(result.warnings).toEqual([]);
  });

  it('publishes a version when the function changes, and creates the live alias once on version 1', () => {
    expect(source).toContain('fn.currentVersion');
    expect(source).toMatch(/new lambda\.CfnAlias\(this, 'LiveAlias', \{[^}]*functionVersion: '1',[^}]*name: 'live'/s);
    expect(source).toContain("Tags.of(fn).add('coalmine:alias', 'live')");
  });

  it('never points an alias at the new version, nor hands it to CodeDeploy', () => {
    const code = source.replace(/^\s*(\/\/|\*|\/\*\*).*$/gm, '');
    expect(code).not.toMatch(/new lambda\.Alias\(|\.addAlias\(|LambdaDeploymentGroup|deploymentConfig/);
  });

  it('runs on nodejs22.x arm64 and says what becomes of its logs', () => {
    expect(source).toContain('lambda.Runtime.NODEJS_22_X');
    expect(source).toContain('lambda.Architecture.ARM_64');
    expect(source).toContain('removalPolicy: RemovalPolicy.DESTROY');
  });
});

describe('examples/serverless', () => {
  const service = yamlParse(read('examples/serverless/serverless.yml')) as {
    provider: Json;
    plugins?: string[];
    functions: Record<string, { handler: string; tags?: Json; deploymentSettings?: unknown }>;
  };

  it('publishes a version on every deploy, on nodejs22.x arm64', () => {
    expect(service.provider['versionFunctions']).not.toBe(false);
    expect(service.provider['runtime']).toBe('nodejs22.x');
    expect(service.provider['architecture']).toBe('arm64');
  });

  it('has no canary plugin and no deploymentSettings, and opts each function in to Coalmine', () => {
    expect(service.plugins ?? []).not.toContain('serverless-plugin-canary-deployments');
    for (const [name, fn] of Object.entries(service.functions)) {
      expect(fn.deploymentSettings, name).toBeUndefined();
      expect(fn.tags?.['coalmine:alias'], name).toBe('live');
    }
  });

  it('has a handler file for each function', () => {
    for (const fn of Object.values(service.functions)) {
      const [file, exported] = fn.handler.split('.');
      expect(read(`examples/serverless/${file}.mjs`)).toContain(`export const ${exported} =`);
    }
  });
});
