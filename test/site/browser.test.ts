import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, personEvents, posthogDistinctId, type StoredEvent, waitForPersonEvents } from '../support/browser.ts';
import { ensureSiteBuilt } from '../support/build.ts';
import { type RunningServer, startServer } from '../support/server.ts';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const SANDBOX_CODES = ['missing_api_key', 'invalid_api_key', 'revoked_api_key', 'parameter_invalid', 'resource_missing', 'rate_limit_exceeded'];

function html(path: string): string {
  return readFileSync(join(dist, path, 'index.html'), 'utf8');
}

function islands(markup: string): string[] {
  return [...markup.matchAll(/<astro-island[^>]*component-url="([^"]+)"/g)].map((m) => m[1]!);
}

describe.skipIf(!haveChromium)('portal site in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    // vitest sets NODE_ENV=test, which the build would inherit and then bundle React's development build.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      ensureSiteBuilt();
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    server = await startServer();
    browser = await launchChromium();
    // Expressive Code's copy button writes to the clipboard, which headless Chromium only allows with permission.
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const events = (distinctId: string) => personEvents(server, distinctId);
  const waitForEvents = (distinctId: string, done: (all: StoredEvent[]) => boolean) => waitForPersonEvents(server, distinctId, done, 10_000);

  async function distinctId(): Promise<string> {
    const id = await posthogDistinctId(page);
    expect(id, 'posthog-js persisted a distinct id').toBeTruthy();
    return id!;
  }

  it('ships the feedback widget as the only island on docs pages, and the Try it console only on first-call', () => {
    for (const path of ['docs/errors', 'docs/introduction', 'docs/api/create-message', 'quickstarts/node', 'quickstarts/curl']) {
      const found = islands(html(path));
      expect(found, path).toHaveLength(1);
      expect(found[0], path).toMatch(/Feedback/);
    }
    const firstCall = islands(html('docs/first-call'));
    expect(firstCall).toHaveLength(2);
    expect(firstCall.some((u) => /TryIt/.test(u))).toBe(true);
    expect(islands(html(''))).toHaveLength(0);
    const errors = html('docs/errors');
    for (const code of SANDBOX_CODES) expect(errors, code).toContain(`id="${code}"`);
  });

  it('sends $pageview, quickstart_started, code_copied and doc_feedback from real pages', async () => {
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
    // Served without the trailing slash, the page still reports its canonical path.
    await page.goto(`${server.url}/docs/errors`, { waitUntil: 'networkidle' });
    expect(new URL(page.url()).pathname).toBe('/docs/errors/');
    await page.goto(`${server.url}/quickstarts/node/`, { waitUntil: 'networkidle' });

    await page.locator('.expressive-code .copy button').first().click();

    await page.locator('[data-feedback-ready="true"]').waitFor();
    await page.getByRole('button', { name: 'No', exact: true }).click();
    await page.getByLabel('Hard to follow').check();
    await page.getByLabel(/How can we improve/).fill('x'.repeat(1200));
    expect(await page.getByLabel(/How can we improve/).inputValue()).toHaveLength(1000);
    await page.getByRole('button', { name: 'Send feedback' }).click();
    await expect.poll(() => page.getByText('Thank you!').isVisible()).toBe(true);

    const id = await distinctId();
    const all = await waitForEvents(id, (e) => e.filter((x) => x.event === 'doc_feedback').length >= 2 && e.some((x) => x.event === 'code_copied'));

    const pathsViewed = all.filter((e) => e.event === '$pageview').map((e) => e.properties.$pathname);
    expect(pathsViewed).toEqual(expect.arrayContaining(['/', '/docs/errors/', '/quickstarts/node/']));
    expect(pathsViewed).not.toContain('/docs/errors');

    expect(all.filter((e) => e.event === 'quickstart_started').map((e) => e.properties.language)).toEqual(['node']);

    const copied = all.find((e) => e.event === 'code_copied');
    expect(copied?.properties).toMatchObject({ path: '/quickstarts/node/', language: 'sh' });

    // Newest first: the follow-up with reason and comment is the latest vote.
    const votes = all.filter((e) => e.event === 'doc_feedback');
    expect(votes[0]!.properties).toMatchObject({ helpful: false, path: '/quickstarts/node/', reason: 'hard_to_follow', comment: 'x'.repeat(1000) });
    expect(votes[1]!.properties).toMatchObject({ helpful: false, path: '/quickstarts/node/' });
    expect(votes[1]!.properties).not.toHaveProperty('reason');

    expect(consoleErrors).toEqual([]);
  });

  it('keeps a vote cast right before the reader leaves the page, even on a slow device', async () => {
    await page.goto(`${server.url}/docs/rate-limits/`, { waitUntil: 'networkidle' });
    await page.locator('[data-feedback-ready="true"]').waitFor();
    const id = await distinctId();
    // A slow phone: the page's script runs 20× slower, while the browser's navigation does not wait for it. The
    // vote and the navigation start in the same task, as when a reader votes and at once follows a link.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 20 });
    try {
      await page.evaluate(() => {
        const no = [...document.querySelectorAll<HTMLButtonElement>('.onramp-feedback__votes button')].find((b) => b.textContent?.trim() === 'No')!;
        no.click();
        window.location.assign('/docs/errors/');
      });
      await page.waitForURL(/\/docs\/errors\/$/);
    } finally {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
      await cdp.detach();
    }
    const votes = (await waitForEvents(id, (e) => e.some((x) => x.event === 'doc_feedback' && x.properties.path === '/docs/rate-limits/'))).filter(
      (e) => e.event === 'doc_feedback' && e.properties.path === '/docs/rate-limits/',
    );
    expect(votes.map((e) => e.properties)).toEqual([expect.objectContaining({ helpful: false, path: '/docs/rate-limits/' })]);
  });

  it('lets a reader change their vote', async () => {
    await page.goto(`${server.url}/docs/pagination/`, { waitUntil: 'networkidle' });
    await page.locator('[data-feedback-ready="true"]').waitFor();
    await page.getByRole('button', { name: 'No', exact: true }).click();
    await page.getByRole('button', { name: 'Yes', exact: true }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Yes', exact: true }).getAttribute('aria-pressed')).toBe('true');
    const id = await distinctId();
    const votes = (await waitForEvents(id, (e) => e.filter((x) => x.event === 'doc_feedback' && x.properties.path === '/docs/pagination/').length >= 2))
      .filter((e) => e.event === 'doc_feedback' && e.properties.path === '/docs/pagination/')
      .map((e) => e.properties.helpful);
    expect(votes).toEqual([true, false]);

    // A returning reader sees their vote, and reloading sends nothing new.
    await page.reload({ waitUntil: 'networkidle' });
    await page.locator('[data-feedback-ready="true"]').waitFor();
    expect(await page.getByRole('button', { name: 'Yes', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => page.getByText('You already rated this page').isVisible()).toBe(true);
    const after = (await events(id)).filter((e) => e.event === 'doc_feedback' && e.properties.path === '/docs/pagination/');
    expect(after).toHaveLength(2);
  });

  it('Try it sends a real sandbox request, shows the error, and never stores the key', async () => {
    await page.goto(`${server.url}/docs/first-call/`, { waitUntil: 'networkidle' });
    await page.locator('[data-tryit-ready="true"]').waitFor();
    const key = `onr_test_Zz9Yy8Xx${'Q'.repeat(32)}`;
    await page.getByLabel('Secret key').fill(key);
    await page.getByRole('button', { name: 'Send request' }).click();
    await expect.poll(() => page.getByTestId('tryit-status').textContent()).toBe('401');
    const body = JSON.parse((await page.getByTestId('tryit-response').textContent())!) as { error: { code: string; doc_url: string } };
    expect(body.error).toMatchObject({ code: 'invalid_api_key', doc_url: `${server.url}/docs/errors/#invalid_api_key` });
    await expect.poll(() => page.getByRole('link', { name: `${server.url}/docs/errors/#invalid_api_key` }).isVisible()).toBe(true);

    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).not.toContain('Zz9Yy8Xx');
    // Chromium logs every 4xx fetch as a console error; that one is the expected answer, anything else is a bug.
    const unexpected = consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 401/.test(e));
    expect(unexpected).toEqual([]);
  });

  it('has no serious or critical accessibility violations on the home, a quickstart with open feedback, and Try it', async () => {
    const audit = async (what: string) => {
      const result = await new AxeBuilder({ page }).analyze();
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${what} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    };
    const bad: string[] = [];
    await page.goto(`${server.url}/`, { waitUntil: 'networkidle' });
    bad.push(...(await audit('home')));

    // The hydrated widgets in their open states: reasons and comment after "No", a response after "Send request".
    await page.goto(`${server.url}/quickstarts/python/`, { waitUntil: 'networkidle' });
    await page.locator('[data-feedback-ready="true"]').waitFor();
    await page.getByRole('button', { name: 'No', exact: true }).click();
    bad.push(...(await audit('quickstart')));

    await page.goto(`${server.url}/docs/first-call/`, { waitUntil: 'networkidle' });
    await page.locator('[data-tryit-ready="true"]').waitFor();
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.getByTestId('tryit-status').waitFor();
    bad.push(...(await audit('first-call')));
    expect(bad).toEqual([]);
    // Three full axe runs over Starlight pages: over 30 s on a busy 2-core machine.
  }, 120_000);
});
