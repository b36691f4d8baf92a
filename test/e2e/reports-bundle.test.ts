/**
 * The reports' JavaScript must stay out of the docs pages: a docs page loads only its own scripts (tracking,
 * feedback island), never recharts or the reports API client. Checked on the production build by following every
 * script a page references through its static imports.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSiteBuilt } from '../support/build.ts';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
/** Text only the reports bundles contain: recharts' wrapper class and the session endpoint. */
const REPORT_MARKERS = ['recharts-wrapper', '/api/v1/admin/session'];

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return name.endsWith('.html') ? [path] : [];
  });
}

/** Every JS file a page loads: `<script src>`, island `component-url`/`renderer-url`, then their static imports. */
function scriptsOf(htmlPath: string): Set<string> {
  const html = readFileSync(htmlPath, 'utf8');
  const queue = [...html.matchAll(/(?:src|component-url|renderer-url|before-hydration-url)="(\/_astro\/[^"]+\.js)"/g)].map((m) => join(dist, m[1]!));
  const seen = new Set<string>();
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:from|import)\s*["'](\.\/[^"']+\.js)["']/g)) queue.push(join(file, '..', m[1]!));
  }
  return seen;
}

function hasReportCode(file: string): boolean {
  const code = readFileSync(file, 'utf8');
  return REPORT_MARKERS.some((marker) => code.includes(marker));
}

describe('reports code stays out of the docs bundles', () => {
  beforeAll(() => ensureSiteBuilt(), 360_000);

  it('no non-report page loads recharts or the reports client', () => {
    const pages = htmlFiles(dist).filter((p) => !relative(dist, p).startsWith('reports/'));
    expect(pages.length).toBeGreaterThan(5);
    const offenders = pages.flatMap((page) => [...scriptsOf(page)].filter(hasReportCode).map((s) => `${relative(dist, page)} → ${relative(dist, s)}`));
    expect(offenders).toEqual([]);
  });

  it('the report pages do load it (the check above can fail)', () => {
    const funnel = [...scriptsOf(join(dist, 'reports', 'index.html'))];
    expect(funnel.some(hasReportCode)).toBe(true);
  });
});
