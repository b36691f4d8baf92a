import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const contentDir = join(root, 'site/content/docs');

/** URL path of a content file, as Starlight emits it (`docs/api/index.mdx` → `/docs/api/`). */
function urlOf(file: string): string {
  const slug = relative(contentDir, file)
    .replace(/\.mdx?$/, '')
    .replace(/(^|\/)index$/, '');
  return `/${slug}${slug ? '/' : ''}`;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : /\.mdx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

interface Page {
  file: string;
  url: string;
  source: string;
  frontmatter: string;
  body: string;
}

const pages: Page[] = walk(contentDir).map((file) => {
  const source = readFileSync(file, 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(source);
  return { file, url: urlOf(file), source, frontmatter: match?.[1] ?? '', body: match?.[2] ?? source };
});
const byUrl = new Map(pages.map((p) => [p.url, p]));

function page(url: string): Page {
  const found = byUrl.get(url);
  if (!found) throw new Error(`no content page for ${url}`);
  return found;
}

/** The section of a page from a heading line to the next heading of the same or a higher level. */
function section(body: string, heading: string): string {
  const lines = body.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return '';
  const level = heading.match(/^#+/)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.match(/^#+/)![0].length <= level);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Every error code the sandbox can answer with, read from its source so a new code can't go undocumented. */
function sandboxErrorCodes(): string[] {
  const source = readFileSync(join(root, 'api/routes/sandbox.ts'), 'utf8');
  const union = /export type SandboxErrorCode =([\s\S]*?);/.exec(source)?.[1] ?? '';
  return [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]!);
}

const REQUIRED = [
  '/docs/introduction/',
  '/docs/authentication/',
  '/docs/first-call/',
  '/docs/errors/',
  '/docs/rate-limits/',
  '/docs/pagination/',
  '/docs/api/create-message/',
  '/docs/api/retrieve-message/',
  '/docs/api/list-messages/',
  '/docs/changelog/',
  '/docs/instrument-your-api/',
  '/quickstarts/curl/',
  '/quickstarts/node/',
  '/quickstarts/python/',
];

const CONTRACT_CODES = ['missing_api_key', 'invalid_api_key', 'revoked_api_key', 'parameter_invalid', 'resource_missing', 'rate_limit_exceeded'];

describe('docs content', () => {
  it('has every required page, each with a title and a description', () => {
    for (const url of REQUIRED) {
      const p = page(url);
      expect(p.frontmatter, url).toMatch(/^title: \S.{2,}$/m);
      expect(p.frontmatter, url).toMatch(/^description: \S.{20,}$/m);
      expect(p.body.trim().length, url).toBeGreaterThan(800);
    }
  });

  it('documents every sandbox error code under a heading whose anchor is the code, with a fix', () => {
    const fromSource = sandboxErrorCodes();
    expect(fromSource.length).toBeGreaterThanOrEqual(CONTRACT_CODES.length);
    const errors = page('/docs/errors/').body;
    for (const code of new Set([...CONTRACT_CODES, ...fromSource])) {
      // Starlight slugs "### `code`" to id="code", which is what doc_url (<base>/docs/errors/#code) points at.
      const text = section(errors, `### \`${code}\``);
      expect(text, code).not.toBe('');
      expect(text, code).toContain('**How to fix it**');
      expect(text, code).toContain(`"code": "${code}"`);
      expect(text, code).toContain(`"doc_url": "http://127.0.0.1:8787/docs/errors/#${code}"`);
    }
  });

  it('shows the status and type each code really has', () => {
    const errors = page('/docs/errors/').body;
    const expected: Record<string, string> = {
      missing_api_key: '**401** · `authentication_error`',
      invalid_api_key: '**401** · `authentication_error`',
      revoked_api_key: '**401** · `authentication_error`',
      parameter_invalid: '**400** · `invalid_request_error`',
      resource_missing: '**404** · `invalid_request_error`',
      rate_limit_exceeded: '**429** · `rate_limit_error`',
    };
    for (const [code, line] of Object.entries(expected)) expect(section(errors, `### \`${code}\``), code).toContain(line);
  });

  it('has one API reference page per sandbox endpoint, naming its method and path', () => {
    expect(page('/docs/api/create-message/').body).toContain('POST /sandbox/v1/messages');
    expect(page('/docs/api/retrieve-message/').body).toContain('GET /sandbox/v1/messages/:id');
    expect(page('/docs/api/list-messages/').body).toContain('GET /sandbox/v1/messages');
    expect(page('/docs/api/list-messages/').body).toMatch(/`limit`.*`10`.*`1` to `100`/);
  });

  it('quickstarts declare their language, start from sign-up and the dashboard, and make a real call', () => {
    for (const language of ['curl', 'node', 'python']) {
      const p = page(`/quickstarts/${language}/`);
      expect(p.frontmatter).toMatch(new RegExp(`quickstart:\\n\\s+language: ${language}$`, 'm'));
      expect(p.body).toContain('](/signup)');
      expect(p.body).toContain('](/dashboard)');
      expect(p.body).toMatch(/\/sandbox\/v1(\/messages)?\b/);
      expect(p.body).toContain('ONRAMP_API_KEY');
      expect(p.body).toContain('<Steps>');
    }
    const others = pages.filter((p) => !p.url.startsWith('/quickstarts/') || p.url === '/quickstarts/');
    for (const p of others) expect(p.frontmatter, p.url).not.toContain('quickstart:');
  });

  it('the instrumentation guide sends api_call with every contract property through posthog-node', () => {
    const body = page('/docs/instrument-your-api/').body;
    expect(body).toContain("from 'posthog-node'");
    expect(body).toContain("event: 'api_call'");
    for (const prop of ['status', 'method', 'endpoint', 'duration_ms', 'error_code', 'key_prefix']) expect(body).toContain(`${prop}:`);
    expect(body).toContain('Hono');
    expect(body).toContain('Express');
    expect(body).toContain('posthog.shutdown()');
  });

  it('embeds the Try it console on the first-call page only, and no other island in content', () => {
    expect(page('/docs/first-call/').source).toMatch(/<TryIt client:(load|idle|visible) \/>/);
    for (const p of pages.filter((p) => p.url !== '/docs/first-call/')) {
      expect(p.source, p.url).not.toMatch(/client:(load|idle|visible|only|media)/);
      expect(p.source, p.url).not.toMatch(/from '[^']+\.(tsx|jsx)'/);
    }
  });

  it('links only to pages that exist, and error anchors that exist', () => {
    const errorsBody = page('/docs/errors/').body;
    const portalPages = new Set(['/signup', '/login', '/dashboard']);
    const sources = [
      ...pages.map((p) => ({ where: p.url, text: p.source })),
      { where: 'landing', text: readFileSync(join(root, 'site/pages/index.astro'), 'utf8') },
    ];
    let checked = 0;
    for (const { where, text } of sources) {
      for (const m of text.matchAll(/(?:\]\(|href=["{]?["'])(\/[^)"'\s]*)/g)) {
        const [path, anchor] = m[1]!.split('#') as [string, string | undefined];
        checked++;
        if (portalPages.has(path)) continue;
        if (path === '/' || path === '/favicon.svg') continue;
        expect(byUrl.has(path), `${where} links to ${m[1]}`).toBe(true);
        if (path === '/docs/errors/' && anchor && anchor !== 'the-error-object') {
          expect(section(errorsBody, `### \`${anchor}\``), `${where} links to ${m[1]}`).not.toBe('');
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('lists every sidebar entry as an existing page', () => {
    const config = readFileSync(join(root, 'astro.config.mjs'), 'utf8');
    const slugs = [...config.matchAll(/slug: '([^']+)'/g)].map((m) => m[1]!);
    expect(slugs.length).toBeGreaterThanOrEqual(REQUIRED.length);
    for (const slug of slugs) expect(byUrl.has(`/${slug}/`), slug).toBe(true);
    for (const url of REQUIRED) expect(slugs, url).toContain(url.slice(1, -1));
  });

  it('keeps the content collection config in site/', () => {
    expect(existsSync(join(root, 'site/content.config.ts'))).toBe(true);
  });
});
