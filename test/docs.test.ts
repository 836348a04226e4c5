/**
 * The project's own docs stay readable and connected: the README is what a newcomer reads in one
 * sitting (the depth lives in docs/), and no relative link in the README or docs/ points at a file
 * or a heading that is not there — sections move, and a link that breaks silently sends the next
 * reader nowhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAX_README_LINES = 300;

/** The markdown files whose links are checked, relative to the repository root. */
const markdownFiles = [
  'README.md',
  'scenarios/README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

interface Link {
  file: string;
  line: number;
  target: string;
}

/** Markdown lines outside fenced code blocks, and their line numbers. */
function proseLines(text: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let inFence = false;
  text.split('\n').forEach((raw, index) => {
    if (/^\s*(```|~~~)/.test(raw)) {
      inFence = !inFence;
      return;
    }
    if (!inFence) lines.push({ text: raw, line: index + 1 });
  });
  return lines;
}

/** Every inline link `[text](target)` and image whose target is not a URL with a scheme. */
function relativeLinks(file: string): Link[] {
  const links: Link[] = [];
  for (const { text, line } of proseLines(readFileSync(join(root, file), 'utf8'))) {
    const withoutCode = text.replace(/`[^`]*`/g, '');
    for (const match of withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      links.push({ file, line, target });
    }
  }
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a markdown file's headings get, repeated headings numbered as GitHub numbers them. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text.replace(/`([^`]*)`/g, '$1'));
    if (!heading) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** Why a link goes nowhere, or undefined when it leads to an existing file (and heading). */
function brokenBecause(link: Link): string | undefined {
  const [pathPart, anchor] = link.target.split('#', 2) as [string, string | undefined];
  const targetFile = pathPart === '' ? join(root, link.file) : join(root, dirname(link.file), decodeURI(pathPart));
  if (!existsSync(targetFile)) return `${relative(root, targetFile)} does not exist`;
  if (anchor === undefined || anchor === '' || !targetFile.endsWith('.md') || statSync(targetFile).isDirectory()) {
    return undefined;
  }
  return anchorsOf(targetFile).has(anchor) ? undefined : `${relative(root, targetFile)} has no heading #${anchor}`;
}

describe('the README', () => {
  it(`is at most ${MAX_README_LINES} lines, so a newcomer reads it in one sitting`, () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').trimEnd().split('\n').length;
    expect(lines).toBeLessThanOrEqual(MAX_README_LINES);
  });

  it('keeps the two commands a newcomer runs first', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });

  it('links every document in docs/', () => {
    const linked = new Set(relativeLinks('README.md').map((link) => link.target.split('#')[0]));
    const unlinked = markdownFiles.filter((file) => file.startsWith('docs/') && !linked.has(file));
    expect(unlinked).toEqual([]);
  });
});

describe('relative links in the README and docs/', () => {
  it('are found (the check below is not vacuous)', () => {
    expect(markdownFiles.length).toBeGreaterThan(2);
    expect(relativeLinks('README.md').length).toBeGreaterThan(10);
  });

  it('point at files and headings that exist', () => {
    const broken = markdownFiles
      .flatMap(relativeLinks)
      .map((link) => ({ link, why: brokenBecause(link) }))
      .filter(({ why }) => why !== undefined)
      .map(({ link, why }) => `${link.file}:${link.line}: (${link.target}) ${why}`);
    expect(broken).toEqual([]);
  });

  it('are caught when they break: a missing file, a missing heading', () => {
    expect(brokenBecause({ file: 'README.md', line: 1, target: 'docs/no-such-file.md' })).toBe(
      'docs/no-such-file.md does not exist',
    );
    expect(brokenBecause({ file: 'README.md', line: 1, target: 'docs/judge.md#no-such-heading' })).toBe(
      'docs/judge.md has no heading #no-such-heading',
    );
    expect(brokenBecause({ file: 'docs/judge.md', line: 1, target: '../README.md#deploy-to-aws' })).toBeUndefined();
  });
});

describe('a heading anchor', () => {
  it('is the heading in lower case, without punctuation or code marks, spaces as hyphens', () => {
    expect(slug('Local runs: coalmine run --local')).toBe('local-runs-coalmine-run---local');
    expect(slug('IAM: what each part may do, and why')).toBe('iam-what-each-part-may-do-and-why');
    expect(slug('Why Coalmine stays about 2× from the oracle')).toBe('why-coalmine-stays-about-2-from-the-oracle');
    expect(slug('1. The coalmine command')).toBe('1-the-coalmine-command');
  });
});
