import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inlineScriptHashes } from '../../api/middleware/security-headers.ts';
import { ADMIN_TOKEN, PROJECT_TOKEN, testApp } from '../support/app.ts';
import { haveChromium, launchChromium } from '../support/browser.ts';
import { ensureSiteBuilt } from '../support/build.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { loadEvent } from './load.ts';

function expectSecurityHeaders(res: Response) {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("frame-ancestors 'self'");
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
}

describe('security headers', () => {
  it('portal, admin and unknown routes carry CSP, nosniff and Referrer-Policy; no HSTS over plain HTTP', async () => {
    const { app } = testApp();
    for (const path of ['/api/v1/portal/me', '/api/v1/events', '/api/v1/admin/session', '/sandbox/v1/messages', '/no/such/page']) {
      const res = await app.request(path);
      expectSecurityHeaders(res);
      expect(res.headers.get('strict-transport-security'), path).toBeNull();
    }
  });

  it('sends HSTS when the public URL is HTTPS', async () => {
    const { app } = testApp({ env: { ONRAMP_PROJECT_TOKEN: PROJECT_TOKEN, ONRAMP_ADMIN_TOKEN: ADMIN_TOKEN, ONRAMP_PUBLIC_URL: 'https://dev.example.com' } });
    expect((await app.request('/api/v1/portal/me')).headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  });

  it('capture routes stay usable from other sites: CORS kept, no same-origin resource policy', async () => {
    const { app } = testApp();
    const origin = 'https://docs.customer.example';
    const res = await app.request('/i/v0/e/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify(loadEvent(PROJECT_TOKEN, 'd')),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('cross-origin-resource-policy')).toBeNull();
    expect((await app.request(`/array/${PROJECT_TOKEN}/config.js`)).headers.get('cross-origin-resource-policy')).toBeNull();
    // Errors must be readable cross-origin too, or posthog-js cannot see why a request failed.
    const refused = await app.request('/batch/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ api_key: 'wrong', batch: [loadEvent('wrong', 'd')] }),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(origin);
    const flags = await app.request('/flags/?v=2', { method: 'POST', headers: { origin }, body: '{}' });
    expect(flags.headers.get('access-control-allow-origin')).toBe(origin);
  });

  it('hashes exactly the inline scripts of the build, not external ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onramp-dist-'));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'index.html'), '<script>window.a=1</script><script type="module" src="/x.js"></script>');
    writeFileSync(join(dir, 'docs', 'index.html'), '<script type="module">import "/y.js"</script><script>window.a=1</script>');
    const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(inlineScriptHashes(dir)).toEqual([sha('window.a=1'), sha('import "/y.js"')].sort());
  });
});

describe.skipIf(!haveChromium)('CSP in Chromium against the built site', () => {
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      ensureSiteBuilt();
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    server = await startServer();
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  // The reports are internal pages without posthog-js; every portal page tracks.
  it.each([
    ['/', true],
    ['/docs/introduction/', true],
    ['/quickstarts/node/', true],
    ['/signup/', true],
    ['/reports/', false],
  ] as const)('%s loads with no CSP violation or console error (posthog-js posting to this origin: %s)', { timeout: 60_000 }, async (path, tracked) => {
    const page = await browser.newPage();
    const problems: string[] = [];
    // CSP problems and uncaught script errors (what a blocked script would cause); other pages' own console
    // noise is the site tests' business.
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    const captured = tracked
      ? page.waitForRequest((r) => r.method() === 'POST' && /^\/(e|i\/v0\/e|batch)\/?$/.test(new URL(r.url()).pathname), { timeout: 15_000 }).catch(() => null)
      : null;
    const res = await page.goto(`${server.url}${path}`, { waitUntil: 'networkidle' });
    expect(res?.status()).toBe(200);
    expectSecurityHeaders(new Response(null, { headers: res!.headers() }));
    if (tracked) expect((await captured)?.url(), 'posthog-js capture request').toMatch(new RegExp(`^${server.url}/`));
    expect(problems, path).toEqual([]);
    await page.close();
  });

  it('blocks an injected inline script and inline event handler', { timeout: 60_000 }, async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${server.url}/docs/introduction/`, { waitUntil: 'networkidle' });
    const ran = await page.evaluate(async () => {
      const w = window as unknown as { __injected?: number; __handler?: number };
      const script = document.createElement('script');
      script.textContent = 'window.__injected = 1';
      document.body.append(script);
      const div = document.createElement('div');
      div.innerHTML = '<img src="data:," onerror="window.__handler = 1">';
      document.body.append(div);
      await new Promise((r) => setTimeout(r, 300));
      return { injected: w.__injected ?? 0, handler: w.__handler ?? 0 };
    });
    expect(ran).toEqual({ injected: 0, handler: 0 });
    expect(violations.length).toBeGreaterThanOrEqual(2);
    await page.close();
  });
});
