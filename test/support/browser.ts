import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { ListedEvent } from '../../api/analytics/contract.ts';
import { ensureSiteBuilt } from './build.ts';
import { type RunningServer, startServer } from './server.ts';

/** Debian's Chromium; `.ci/run` installs it. Playwright's own browser download is not reachable here. */
export const CHROMIUM = '/usr/bin/chromium';
/** Quiet flags: the background-networking ones stop Chromium from calling hosts this machine cannot reach. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const haveChromium = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** axe-core violations of impact serious or critical against WCAG 2.1 A/AA, as readable lines. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await codeBlocksSettled(page);
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} (${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')})`,
    );
}

/**
 * Waits until Expressive Code's own script has made every horizontally scrollable code block keyboard-focusable.
 * The script works from a ResizeObserver, 250 ms later and then on idle, so on a busy machine an audit run right
 * after load can see a scrollable block before it gets its `tabindex`. If a block never gets one, the wait ends
 * after `timeoutMs` and the audit reports it.
 */
async function codeBlocksSettled(page: Page, timeoutMs = 5_000): Promise<void> {
  await page
    .waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLElement>('.expressive-code pre')].every((pre) => pre.scrollWidth <= pre.clientWidth || pre.hasAttribute('tabindex')),
      undefined,
      { timeout: timeoutMs },
    )
    .catch(() => undefined);
}

/** Opens `url` in a new page of `context` at `width`, recording console errors and uncaught exceptions. */
export async function openPage(context: BrowserContext, url: string, width = 1280): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(url);
  return { page, errors };
}

/** An event as `GET /api/v1/events` lists it. */
export type StoredEvent = ListedEvent;

/** Every stored event of the person `distinctId` belongs to, through the admin events API. */
export async function personEvents(server: RunningServer, distinctId: string): Promise<StoredEvent[]> {
  const res = await fetch(`${server.url}/api/v1/events?distinct_id=${encodeURIComponent(distinctId)}&limit=1000`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  });
  if (res.status !== 200) throw new Error(`GET /api/v1/events: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { events: StoredEvent[] }).events;
}

/** Polls until `done` holds or `timeoutMs` passes: browser events arrive as they happen, server ones within a flush. */
export async function waitForPersonEvents(
  server: RunningServer,
  distinctId: string,
  done: (all: StoredEvent[]) => boolean,
  timeoutMs = 15_000,
): Promise<StoredEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await personEvents(server, distinctId);
    if (done(all) || Date.now() > deadline) return all;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The distinct id posthog-js persisted in this page's localStorage, if any. */
export function posthogDistinctId(page: Page): Promise<string | undefined> {
  return page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('ph_') && k.endsWith('_posthog'));
    return key ? (JSON.parse(localStorage.getItem(key)!) as { distinct_id?: string }).distinct_id : undefined;
  });
}

/**
 * Signs `context` in to the reports with the server's admin token, through the login form, landing on `next`.
 *
 * @example
 * await signInToReports(context, server, '/reports/events/');
 */
export async function signInToReports(context: BrowserContext, server: RunningServer, next: string): Promise<void> {
  const login = await context.newPage();
  await login.goto(`${server.url}/reports/login/?next=${encodeURIComponent(next)}`);
  await login.getByLabel('Admin token').fill(server.adminToken);
  await login.getByRole('button', { name: 'Sign in' }).click();
  await login.waitForURL(`${server.url}${next}`);
  await login.close();
}

/** A reports API response read with the bearer token, straight from the test (not through the page). */
export async function reportsApi<T>(server: RunningServer, path: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(`${server.url}${path}?${new URLSearchParams(params)}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Where the browser suites write their screenshots (`test/screenshots/`, created on first use). */
export const SCREENSHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));

/** What a browser suite runs against: the real server over a production build, Chromium and one context. */
export interface BrowserSuite {
  server: RunningServer;
  browser: Browser;
  context: BrowserContext;
  /** Opens `path` on the server in a new page of the suite's context, `width` px wide. */
  open(path: string, width?: number): ReturnType<typeof openPage>;
  /** Closes Chromium and stops the server. */
  close(): Promise<void>;
}

/**
 * The start-up every browser suite shares: a production build of the site, the server started with `env`, Chromium
 * and a fresh context, and the screenshot folder. Whatever fails on the way stops what was started.
 *
 * @example
 * let suite: BrowserSuite;
 * beforeAll(async () => {
 *   suite = await startBrowserSuite({ env: { ONRAMP_DEMO: '1' } });
 *   await signInToReports(suite.context, suite.server, '/reports/');
 * }, 360_000);
 * afterAll(() => suite?.close());
 */
export async function startBrowserSuite(options: { env?: Record<string, string> } = {}): Promise<BrowserSuite> {
  ensureSiteBuilt();
  mkdirSync(SCREENSHOTS, { recursive: true });
  const server = await startServer(options.env ? { env: options.env } : {});
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext();
    const opened = browser;
    return {
      server,
      browser,
      context,
      open: (path, width = 1280) => openPage(context, `${server.url}${path}`, width),
      async close() {
        await opened.close();
        await server.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.stop();
    throw err;
  }
}
