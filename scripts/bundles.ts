/**
 * The Lambda bundles, built the way template.yaml declares them: each AWS::Serverless::Function's
 * Metadata.BuildProperties turned into the esbuild options SAM's esbuild builder uses. One function,
 * so that `sam build`, the package's prebuilt bundles (scripts/build.ts, which `coalmine deploy`
 * uploads) and the tests all get the same code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { yamlParse } from 'yaml-cfn';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface TemplateResource {
  Type: string;
  Properties?: { Policies?: unknown };
  Metadata?: { BuildMethod?: string; BuildProperties?: Record<string, unknown> };
}

export interface FunctionBuild {
  /** The template's logical ID, e.g. PlanFunction. */
  name: string;
  properties: Record<string, unknown>;
  /** The function's IAM policies as the template writes them (intrinsics unresolved). */
  policies: unknown;
}

/** The functions template.yaml builds with esbuild, in template order. */
export function templateFunctions(templatePath = join(ROOT, 'template.yaml')): FunctionBuild[] {
  const template = yamlParse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, TemplateResource> };
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function' && resource.Metadata?.BuildMethod === 'esbuild')
    .map(([name, resource]) => ({ name, properties: resource.Metadata?.BuildProperties ?? {}, policies: resource.Properties?.Policies ?? [] }));
}

/** `key=value` pairs, as SAM's esbuild builder takes OutExtension and Banner. */
function pairs(values: unknown): Record<string, string> {
  return Object.fromEntries(
    ((values as string[] | undefined) ?? []).map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The esbuild options SAM derives from a function's BuildProperties (bundled, for Node). */
export function bundleOptions(properties: Record<string, unknown>, outdir: string): BuildOptions {
  return {
    entryPoints: (properties['EntryPoints'] as string[]).map((entry) => join(ROOT, entry)),
    bundle: true,
    platform: 'node',
    outdir,
    format: properties['Format'] as BuildOptions['format'],
    target: properties['Target'] as string,
    sourcemap: properties['Sourcemap'] === true,
    minify: properties['Minify'] === true,
    outExtension: pairs(properties['OutExtension']),
    banner: pairs(properties['Banner']),
    // SAM passes MainFields to esbuild as --main-fields (comma separated), and each External as --external.
    ...(properties['MainFields'] === undefined ? {} : { mainFields: String(properties['MainFields']).split(',') }),
    external: (properties['External'] as string[] | undefined) ?? [],
    absWorkingDir: ROOT,
    logLevel: 'silent',
  };
}

export interface BuiltBundle {
  /** The template's logical ID. */
  name: string;
  /** The folder that holds the function's code (what its zip's root is). */
  dir: string;
  /** The code's file, relative to `dir`: handler.cjs, as OutExtension names it. */
  handler: string;
  /** Output files, relative to `dir`, e.g. handler.cjs and handler.cjs.map. */
  files: string[];
  /** esbuild's account of the inputs behind this function's output. */
  inputs: Record<string, { bytesInOutput: number }>;
  /** The packages the code loads at run time rather than carries (External), e.g. @aws-sdk/client-lambda. */
  externals: string[];
}

/**
 * Builds the functions into `outdir`, each under its entry point's folder (functions/plan/handler.ts
 * → OUTDIR/functions/plan/handler.cjs: the code at the root of its folder, as Handler:
 * handler.handler expects). Functions with the same BuildProperties but for the entry point share one
 * esbuild run, which parses the shared code once.
 */
export async function bundleFunctions(functions: FunctionBuild[], outdir: string): Promise<BuiltBundle[]> {
  const groups = new Map<string, FunctionBuild[]>();
  for (const fn of functions) {
    const { EntryPoints: _entries, ...rest } = fn.properties;
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), fn]);
  }
  const built = await Promise.all(
    [...groups.values()].map(async (group) => {
      const entryPoints = group.flatMap((fn) => bundleOptions(fn.properties, outdir).entryPoints as string[]);
      const result = await build({ ...bundleOptions(group[0]!.properties, outdir), entryPoints, outbase: ROOT, metafile: true });
      const outputs = Object.entries(result.metafile.outputs);
      return group.map((fn): BuiltBundle => {
        const entry = relative(ROOT, (bundleOptions(fn.properties, outdir).entryPoints as string[])[0]!);
        const code = outputs.find(([, output]) => output.entryPoint === entry);
        if (!code) throw new Error(`${fn.name}: esbuild wrote no output for ${entry}`);
        const dir = join(ROOT, dirname(code[0]));
        const files = outputs.map(([file]) => join(ROOT, file)).filter((file) => dirname(file) === dir).map((file) => relative(dir, file));
        const externals = [...new Set(code[1].imports.filter((imported) => imported.external).map((imported) => imported.path))].sort();
        return { name: fn.name, dir, handler: relative(dir, join(ROOT, code[0])), files, inputs: code[1].inputs, externals };
      });
    }),
  );
  return built.flat();
}
