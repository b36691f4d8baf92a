/**
 * Every portal page and every report page on a 390 px phone, in Debian's headless Chromium against the real server
 * with demo data: no sideways scrolling, the first and last column of every table and every button reachable
 * (test/support/layout.ts), and the portal and reports headers collapsed into a keyboard-usable menu. Saves a
 * screenshot of each report page at 1280 and 390 px, and of each portal page at 390 px.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventsResponse } from '../../api/analytics/contract.ts';
import { type BrowserSuite, haveChromium, openPage, SCREENSHOTS as SHOTS, seriousA11yViolations, startBrowserSuite } from '../support/browser.ts';
import { narrowLayoutProblems } from '../support/layout.ts';
import { adminSignIn, mistyped, postAs, sandboxCall, signUpIn } from '../support/portal-session.ts';
import type { RunningServer } from '../support/server.ts';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const PHONE = 390;

/** Every page the portal build holds, except the reports (checked below) and the 404 page. */
function portalPaths(): string[] {
  const paths: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory() && !['_astro', 'pagefind', 'reports'].includes(entry.name)) walk(full);
      else if (entry.name === 'index.html') paths.push(`/${relative(DIST, dir)}/`.replace(/\/+/g, '/'));
    }
  };
  walk(DIST);
  return paths.sort();
}

/** A report page: where it is, what shows once it has its data, and what to open on it (a list, a detail) first. */
interface ReportSpec {
  slug: string;
  path: () => string;
  ready: string;
  open?: (page: Page) => Promise<void>;
}

/** A demo person's journey page, once `beforeAll` has found one. */
let personPath = '';

/** The report pages, and the panels they open in place (a step's persons, a doc page's detail). */
const REPORTS: ReportSpec[] = [
  { slug: 'funnel', path: () => '/reports/?range=7d', ready: '[data-testid="funnel-report"]' },
  {
    slug: 'funnel-persons',
    path: () => '/reports/?range=7d',
    ready: '[data-testid="funnel-report"]',
    async open(page) {
      await page.getByTestId('funnel-inprogress-1').getByRole('button').click();
      await page.getByTestId('funnel-persons').getByTestId('funnel-person').first().waitFor({ timeout: 60_000 });
    },
  },
  { slug: 'ttfsi', path: () => '/reports/ttfsi/', ready: '[data-testid="ttfsi-report"]' },
  { slug: 'docs', path: () => '/reports/docs/', ready: '[data-testid="docs-table"]' },
  { slug: 'docs-detail', path: () => '/reports/docs/?page=%2Fdocs%2Ffirst-call%2F', ready: '[data-testid="doc-detail"]' },
  { slug: 'api-health', path: () => '/reports/api-health/', ready: '[data-testid="health-report"]' },
  { slug: 'events', path: () => '/reports/events/', ready: '[data-testid="events-table"]' },
  { slug: 'person', path: () => personPath, ready: '[data-testid="person-report"]' },
  { slug: 'alerts', path: () => '/reports/alerts/', ready: '[data-testid="alerts-report"]' },
];

let server: RunningServer;
let suite: BrowserSuite;
let context: BrowserContext;

/** Opens `path` at `width` and waits until its islands have rendered their data. */
async function settled(path: string, width: number, ready?: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(context, `${server.url}${path}`, width);
  if (ready) await opened.page.locator(ready).first().waitFor({ timeout: 120_000 });
  if (path === '/dashboard/') await opened.page.getByTestId('calls-table').waitFor();
  if (path === '/docs/first-call/') await opened.page.locator('[data-tryit-ready="true"]').waitFor();
  await opened.page.waitForLoadState('networkidle');
  await opened.page.waitForFunction(() => !/Loading/.test(document.querySelector('main')?.textContent ?? ''), undefined, { timeout: 120_000 });
  return opened;
}

/** Checks a collapsed header menu at 390 px: closed at first, opened and closed again from the keyboard. */
async function checkMenu(page: Page, menuName: string, firstItem: string) {
  const button = page.getByRole('button', { name: 'Menu' });
  const menu = page.getByRole('navigation', { name: menuName });
  const firstLink = menu.getByRole('link', { name: firstItem, exact: true });
  expect(await button.getAttribute('aria-expanded')).toBe('false');
  expect(await firstLink.isVisible(), 'links hidden while the menu is closed').toBe(false);
  await button.focus();
  await page.keyboard.press('Enter');
  expect(await button.getAttribute('aria-expanded')).toBe('true');
  expect(await firstLink.isVisible()).toBe(true);
  expect(await narrowLayoutProblems(page), 'with the menu open').toEqual([]);
  expect(await seriousA11yViolations(page)).toEqual([]);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe(firstItem);
  await page.keyboard.press('Escape');
  expect(await button.getAttribute('aria-expanded')).toBe('false');
  expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Menu');
  await page.keyboard.press('Space');
  expect(await button.getAttribute('aria-expanded')).toBe('true');
}

describe.skipIf(!haveChromium)('390 px layout of every page (Chromium)', () => {
  beforeAll(async () => {
    suite = await startBrowserSuite({ env: { ONRAMP_DEMO: '1' } });
    ({ server, context } = suite);
    // A developer with a key, a good call and a mistyped one, so the dashboard's tables have rows.
    await signUpIn(context, server, 'phone');
    const { secret } = await postAs(context, server, '/api/v1/portal/keys', { name: 'phone' }, 201);
    expect(await sandboxCall(server, secret)).toBe(201);
    expect(await sandboxCall(server, mistyped(secret))).toBe(401);
    await adminSignIn(context, server);
    const res = await fetch(`${server.url}/api/v1/events?event=api_call&limit=1`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    const [event] = ((await res.json()) as EventsResponse).events;
    personPath = `/reports/person/?id=${encodeURIComponent(event!.personId)}`;
  }, 360_000);

  afterAll(() => suite?.close());

  it('portal pages: nothing scrolls sideways, every table edge and button is reachable', async () => {
    const paths = portalPaths();
    expect(paths).toEqual(expect.arrayContaining(['/', '/docs/errors/', '/quickstarts/node/', '/dashboard/', '/support/', '/login/', '/signup/']));
    const report: string[] = [];
    for (const path of paths) {
      const { page, errors } = await settled(path, PHONE);
      report.push(...(await narrowLayoutProblems(page)).map((line) => `${path}: ${line}`));
      report.push(...errors.map((line) => `${path}: console: ${line}`));
      await page.screenshot({ path: `${SHOTS}portal${path.replace(/\//g, '-').replace(/-$/, '') || '-home'}-390.png`, fullPage: true });
      await page.close();
    }
    expect(report).toEqual([]);
  }, 600_000);

  for (const spec of REPORTS) {
    it(`report ${spec.slug}: fits 390 px, screenshots at 1280 and 390 px`, async () => {
      for (const width of [1280, PHONE]) {
        const { page, errors } = await settled(spec.path(), width, spec.ready);
        await spec.open?.(page);
        await page.screenshot({ path: `${SHOTS}layout-${spec.slug}-${width}.png`, fullPage: true });
        if (width === PHONE) expect(await narrowLayoutProblems(page)).toEqual([]);
        expect(errors).toEqual([]);
        await page.close();
      }
    }, 300_000);
  }

  it('a live event stacked on a phone keeps everything of a cell in its value column, under its label', async () => {
    const { page } = await settled('/reports/events/', PHONE, '[data-testid="events-table"]');
    const cell = page.locator('td:has([data-testid="event-person-email"])').first();
    const email = cell.getByTestId('event-person-email');
    const left = (box: { x: number } | null) => Math.round(box!.x);
    const id = await cell.getByRole('button').boundingBox();
    expect(left(await email.boundingBox()), 'the email starts where the distinct id does').toBe(left(id));
    const label = await cell.evaluate((td) => {
      const before = getComputedStyle(td, '::before');
      return td.getBoundingClientRect().left + Number.parseFloat(getComputedStyle(td).paddingLeft) + Number.parseFloat(before.width);
    });
    expect(left(id), 'the value column starts right of the label').toBeGreaterThan(label);
    await page.close();
  }, 120_000);

  it('the reports navigation collapses into a menu button that works from the keyboard', async () => {
    const { page } = await settled('/reports/events/', PHONE, '[data-testid="events-table"]');
    await checkMenu(page, 'Reports', 'Funnel');
    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Alerts' }).click();
    await page.waitForURL(/\/reports\/alerts\/$/);
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(await page.getByRole('button', { name: 'Menu' }).isVisible(), 'no menu button on wide screens').toBe(false);
    expect(await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Funnel' }).isVisible()).toBe(true);
    await page.close();
  }, 120_000);

  it('the portal header collapses into a menu button that works from the keyboard', async () => {
    const { page } = await settled('/support/', PHONE);
    await checkMenu(page, 'Main', 'Docs');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Log out' }).isVisible()).toBe(true);
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(await page.getByRole('button', { name: 'Menu' }).isVisible()).toBe(false);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Quickstarts' }).isVisible()).toBe(true);
    await page.close();
  }, 120_000);
});
