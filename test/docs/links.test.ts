/**
 * Keeps the documentation's relative links true: every link from README.md, CONTRIBUTING.md, benchmarks/ or docs/
 * to a file of the repository must name a file that exists, and a `#heading` into a Markdown file must name one of
 * its headings, as GitHub renders them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The Markdown files whose links are checked, relative to the repository root. */
function documentationFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith('.md') ? [join(dir, entry.name)] : [],
    );
  const top = ['README.md', 'CONTRIBUTING.md', 'benchmarks/README.md'].filter((file) => existsSync(join(ROOT, file)));
  return [...top, ...(existsSync(join(ROOT, 'docs')) ? walk('docs') : [])];
}

/** Markdown without fenced code blocks and inline code spans, where link syntax is only text. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Targets of inline links and images, `[text](target)` and `![alt](target "title")`. */
function linkTargets(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** The anchors GitHub gives the headings of a Markdown file. */
function headingAnchors(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const headings = [...withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1]!);
  return new Set(headings.map((heading) => slugger.slug(heading.replace(/`/g, ''))));
}

/** Markdown without fenced code blocks only: headings keep their inline code, which GitHub slugs as text. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The links of `file` (relative to the repository root) whose file or heading does not exist, as readable lines. */
function brokenLinks(file: string, markdown: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // absolute URL: not ours to check
    const [pathPart = '', anchor] = target.split('#', 2);
    const path = decodeURIComponent(pathPart.split('?')[0]!);
    const resolved = path === '' ? join(ROOT, file) : path.startsWith('/') ? join(ROOT, path) : resolve(ROOT, dirname(file), path);
    if (!resolved.startsWith(ROOT) || !existsSync(resolved)) {
      broken.push(`${target}: no file ${relative(ROOT, resolved)}`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && statSync(resolved).isFile() && !headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) {
      broken.push(`${target}: no heading #${anchor} in ${relative(ROOT, resolved)}`);
    }
  }
  return broken;
}

describe('documentation links', () => {
  it('reports a link to a missing file and to a missing heading', () => {
    const markdown = '[ok](README.md) [gone](docs/no-such-file.md) [bad anchor](README.md#no-such-heading) `[code](x.md)`';
    expect(brokenLinks('README.md', markdown)).toEqual([
      'docs/no-such-file.md: no file docs/no-such-file.md',
      'README.md#no-such-heading: no heading #no-such-heading in README.md',
    ]);
  });

  it('finds the documentation files', () => {
    expect(documentationFiles()).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', join('docs', 'api.md')]));
  });

  it.each(documentationFiles())('%s links only to files and headings that exist', (file) => {
    expect(brokenLinks(file, readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });
});
