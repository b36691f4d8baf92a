/**
 * Reports UI end to end: the real server seeded with demo data, a production Astro build, and Debian's headless
 * Chromium. Checks login, every page (no console errors, no serious axe violations, screenshots at two widths),
 * that the numbers on screen equal the reports API for the same query, and that user-provided text stays text.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiHealthReport as ApiHealthResponse,
  type DocsReport as DocsResponse,
  type FunnelReport as FunnelResponse,
  isDocPath,
  type TtfsiReport as TtfsiResponse,
} from '../../api/analytics/contract.ts';
import { formatAvailability, formatNines } from '../../site/components/reports/availability-shape.ts';
import { formatCount, formatDuration, formatPercent } from '../../site/components/reports/format.ts';
import { type ApiHealthSeries, errorRateBetween, seriesRows } from '../../site/components/reports/series-shape.ts';
import { haveChromium, launchChromium, openPage, reportsApi, seriousA11yViolations } from '../support/browser.ts';
import { ensureSiteBuilt } from '../support/build.ts';
import { type RunningServer, startServer } from '../support/server.ts';

/** Report queries run one at a time on the server; on a busy 2-core machine a page with cohorts takes a while. */
const TEST_TIMEOUT = 180_000;
const SHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const XSS_COMMENT = '<script>window.__xss = "comment"</script><img src=x onerror="window.__xss=\'comment-img\'"> this page lied';
const XSS_EVENT = '<img src=x onerror="window.__xss=\'event\'"><script>window.__xss="event"</script>';
const XSS_PATH = '/docs/authentication/';

const PAGES = [
  { slug: 'funnel', path: '/reports/', ready: '[data-testid="funnel-report"]' },
  { slug: 'ttfsi', path: '/reports/ttfsi/', ready: '[data-testid="ttfsi-report"]' },
  { slug: 'docs', path: '/reports/docs/', ready: '[data-testid="docs-table"]' },
  { slug: 'api-health', path: '/reports/api-health/', ready: '[data-testid="health-report"]' },
  { slug: 'events', path: '/reports/events/', ready: '[data-testid="events-table"]' },
] as const;

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;

const api = <T>(path: string, params: Record<string, string>) => reportsApi<T>(server, path, params);

/** Opens a page and records console errors and uncaught exceptions. */
const open = (path: string, width = 1280) => openPage(context, `${server.url}${path}`, width);

async function rangeOf(page: Page): Promise<{ from: string; to: string }> {
  const readout = page.getByTestId('range-readout');
  return { from: (await readout.getAttribute('data-from'))!, to: (await readout.getAttribute('data-to'))! };
}

async function sendCapture(events: Array<Record<string, unknown>>) {
  const res = await fetch(`${server.url}/batch/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: server.projectToken, batch: events }),
  });
  expect(res.status).toBe(200);
}

describe.skipIf(!haveChromium)('reports UI in Chromium', () => {
  beforeAll(async () => {
    ensureSiteBuilt();
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer({ env: { ONRAMP_DEMO: '1' } });
    const now = new Date().toISOString();
    await sendCapture([
      {
        event: 'doc_feedback',
        distinct_id: 'xss-reader',
        timestamp: now,
        properties: { helpful: false, path: XSS_PATH, reason: 'code_didnt_work', comment: XSS_COMMENT, $pathname: XSS_PATH },
      },
      { event: XSS_EVENT, distinct_id: 'xss-reader', timestamp: now, properties: { note: '<b>bold?</b>' } },
    ]);
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true });
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it(
    'sends a logged-out visitor to login, refuses a wrong token, and logs in with the right one',
    async () => {
      const anonymous = await browser.newContext();
      const page = await anonymous.newPage();
      await page.goto(`${server.url}/reports/docs/?range=7d`);
      await page.waitForURL(/\/reports\/login\/\?next=/);
      expect(new URL(page.url()).searchParams.get('next')).toBe('/reports/docs/?range=7d');

      await page.setViewportSize({ width: 390, height: 800 });
      await page.getByLabel('Admin token').waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.screenshot({ path: `${SHOTS}login-390.png`, fullPage: true });
      await page.getByLabel('Admin token').fill('definitely-not-the-admin-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 60_000 }).toContain('admin token is not valid');
      await anonymous.close();

      const { page: login, errors } = await open('/reports/login/?next=%2Freports%2Fttfsi%2F');
      await login.getByLabel('Admin token').waitFor();
      await login.screenshot({ path: `${SHOTS}login-1280.png`, fullPage: true });
      await login.getByLabel('Admin token').fill(server.adminToken);
      await login.getByRole('button', { name: 'Sign in' }).click();
      await login.waitForURL(`${server.url}/reports/ttfsi/`);
      expect(login.url()).not.toContain(server.adminToken);
      expect(await login.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)).not.toContain(
        server.adminToken,
      );
      const [cookie] = await context.cookies(`${server.url}/api/v1/`);
      expect(cookie).toMatchObject({ name: 'onramp_admin_session', httpOnly: true, sameSite: 'Strict' });
      expect(cookie!.value).not.toContain(server.adminToken);
      expect(await login.evaluate(() => document.cookie)).toBe('');
      expect(errors).toEqual([]);
      await login.close();
    },
    TEST_TIMEOUT,
  );

  for (const spec of PAGES) {
    it(
      `renders ${spec.slug} with no console errors or serious axe violations, at 1280 and 390 px`,
      async () => {
        for (const width of [1280, 390]) {
          const { page, errors } = await open(spec.path, width);
          await page.locator(spec.ready).waitFor({ timeout: 60_000 });
          await page.waitForLoadState('networkidle');
          if (spec.slug === 'funnel') {
            await page.getByRole('heading', { name: 'Conversion by weekly cohort' }).waitFor();
            await page.getByText(/Loading weekly cohorts…/).waitFor({ state: 'detached', timeout: 90_000 });
          }
          await page.screenshot({ path: `${SHOTS}${spec.slug}-${width}.png`, fullPage: true });
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          expect(overflow, 'page must not scroll sideways').toBeLessThanOrEqual(0);
          expect(await seriousA11yViolations(page)).toEqual([]);
          expect(errors).toEqual([]);
          await page.close();
        }
      },
      TEST_TIMEOUT,
    );
  }

  it(
    'funnel: changing the date range and the breakdown shows the API’s numbers for the same query',
    async () => {
      const { page, errors } = await open('/reports/');
      await page.locator('[data-testid="funnel-report"]').waitFor({ timeout: 60_000 });
      await page.getByText('7 days', { exact: true }).click();
      await page.waitForURL(/range=7d/);
      await page.waitForLoadState('networkidle');
      const range7 = await rangeOf(page);
      expect(Date.parse(range7.to) - Date.parse(range7.from)).toBe(7 * 86_400_000);
      const funnel = await api<FunnelResponse>('/api/v1/reports/funnel', {
        ...range7,
        steps: 'signed_up,api_key_created,first_successful_call',
        window: '14d',
        order: 'ordered',
      });
      expect(funnel.steps[0]!.count).toBeGreaterThan(0);
      for (const [i, step] of funnel.steps.entries()) {
        await expect.poll(() => page.getByTestId(`funnel-count-${i}`).textContent(), { timeout: 60_000 }).toBe(formatCount(step.count));
        expect(await page.getByTestId(`funnel-conv-start-${i}`).textContent()).toBe(formatPercent(step.conversionFromStart));
        expect(await page.getByTestId(`funnel-conv-prev-${i}`).textContent()).toBe(formatPercent(step.conversionFromPrevious));
        expect(await page.getByTestId(`funnel-dropped-${i}`).textContent()).toBe(formatCount(i === 0 ? 0 : step.dropOff));
        expect(await page.getByTestId(`funnel-inprogress-${i}`).textContent()).toBe(formatCount(i === 0 ? 0 : step.inProgress));
      }
      expect(await page.getByTestId('funnel-flag').count()).toBe(funnel.flags.length);

      await page.getByLabel('Breakdown property').fill('source');
      await page.getByLabel('Breakdown property').press('Enter');
      await page.waitForURL(/breakdown=source/);
      await page.getByText('Table', { exact: true }).click();
      await page.waitForLoadState('networkidle');
      const range = await rangeOf(page);
      const broken = await api<FunnelResponse>('/api/v1/reports/funnel', {
        ...range,
        steps: 'signed_up,api_key_created,first_successful_call',
        window: '14d',
        order: 'ordered',
        breakdown: 'source',
      });
      expect(broken.breakdown!.length).toBeGreaterThan(1);
      for (const [i, b] of broken.breakdown!.entries()) {
        await expect
          .poll(() => page.getByTestId(`breakdown-value-${i}`).textContent(), { timeout: 60_000 })
          .toBe(b.value === null || b.value === '' ? '(none)' : String(b.value));
        for (const [si, s] of b.steps.entries()) expect(await page.getByTestId(`breakdown-count-${i}-${si}`).textContent()).toBe(formatCount(s.count));
        expect(await page.getByTestId(`breakdown-conv-${i}`).textContent()).toBe(formatPercent(b.steps[b.steps.length - 1]!.conversionFromStart));
      }
      await page.screenshot({ path: `${SHOTS}funnel-breakdown-1280.png`, fullPage: true });

      // A custom range picked in the UI covers whole UTC days and lands in the URL.
      const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
      await page.getByText('Custom', { exact: true }).click();
      await page.getByLabel('From', { exact: true }).fill(day(20));
      await page.getByLabel('To', { exact: true }).fill(day(6));
      await page.getByRole('button', { name: 'Apply', exact: true }).first().click();
      await page.waitForURL(new RegExp(`range=custom&from=${day(20)}&to=${day(6)}`));
      const custom = await rangeOf(page);
      expect(custom).toEqual({ from: `${day(20)}T00:00:00.000Z`, to: `${day(6)}T23:59:59.999Z` });
      const customFunnel = await api<FunnelResponse>('/api/v1/reports/funnel', {
        ...custom,
        steps: 'signed_up,api_key_created,first_successful_call',
        window: '14d',
        order: 'ordered',
        breakdown: 'source',
      });
      for (const [i, step] of customFunnel.steps.entries()) {
        await expect.poll(() => page.getByTestId(`funnel-count-${i}`).textContent(), { timeout: 60_000 }).toBe(formatCount(step.count));
      }
      expect(errors).toEqual([]);
      await page.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'charts API health over time with availability at 1280 and 390 px, the demo incident as a step',
    async () => {
      const DAY = 86_400_000;
      for (const width of [1280, 390]) {
        const { page, errors } = await open('/reports/api-health/', width);
        const seriesBox = page.getByTestId('health-series');
        await seriesBox.waitFor({ timeout: 60_000 });
        await page.waitForLoadState('networkidle');
        const range = await rangeOf(page);
        const health = await api<ApiHealthResponse>('/api/v1/reports/api-health', range);
        expect(await page.getByTestId('health-availability').textContent()).toBe(formatNines(health.overall.nines));
        expect(await page.getByTestId('health-slo-budget').textContent()).toBe(formatPercent(health.overall.slo.errorBudgetRemaining, 0));
        expect(await page.getByText(`${formatAvailability(health.overall.availability)} of calls without a 5xx`).count()).toBe(1);

        // Every chart draws inside the viewport.
        for (const chart of ['health-series-calls', 'health-series-error-rate', 'health-series-latency']) {
          const box = await page.getByTestId(chart).locator('.recharts-wrapper > svg.recharts-surface').boundingBox();
          expect(box, `${chart} at ${width} px`).not.toBeNull();
          expect(box!.width).toBeGreaterThan(200);
          expect(box!.x + box!.width).toBeLessThanOrEqual(width);
        }
        expect(await page.getByTestId('health-series-error-rate').locator('.recharts-line-curve').count()).toBe(1);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, 'page must not scroll sideways').toBeLessThanOrEqual(0);
        expect(await seriousA11yViolations(page)).toEqual([]);

        // The charts show the series API's points for the same range and interval.
        const interval = (await seriesBox.getAttribute('data-interval'))!;
        expect(interval).toBe('day');
        const series = await api<ApiHealthSeries>('/api/v1/reports/api-health/series', { ...range, interval });
        const shown = await page.getByTestId('health-series-error-rate').locator('tbody tr td:nth-child(2)').allTextContents();
        expect(shown).toEqual(seriesRows(series).map((r) => (r.errorPercent === null ? '—' : `${r.errorPercent}%`)));
        // The demo's incident started 7 days ago: its error rate stands well above the weeks before it.
        const incidentStart = Date.parse(range.to) - 7 * DAY;
        const during = errorRateBetween(series.points, incidentStart, Number.POSITIVE_INFINITY)!;
        const before = errorRateBetween(series.points, Number.NEGATIVE_INFINITY, incidentStart - DAY)!;
        expect(during).toBeGreaterThan(before * 1.3);

        if (width === 390) {
          // Picking an endpoint keeps it in the URL and charts that endpoint only.
          const endpoint = [...health.endpoints].sort((a, b) => b.calls - a.calls)[0]!.endpoint;
          await page.getByTestId('health-series-endpoint').selectOption(endpoint);
          await page.waitForURL((url) => url.searchParams.get('endpoint') === endpoint);
          const only = await api<ApiHealthSeries>('/api/v1/reports/api-health/series', { ...range, interval, endpoint });
          const callsColumn = page.getByTestId('health-series-calls').locator('tbody tr td:nth-child(2)');
          await expect.poll(() => callsColumn.allTextContents(), { timeout: 60_000 }).toEqual(only.points.map((p) => formatCount(p.calls)));
          await page.screenshot({ path: `${SHOTS}api-health-series-${width}.png`, fullPage: true });
        }
        expect(errors).toEqual([]);
        await page.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'TTFSI, docs and API health show the API’s numbers for a 90-day range',
    async () => {
      const { page, errors } = await open('/reports/ttfsi/?range=90d');
      await page.locator('[data-testid="ttfsi-report"]').waitFor({ timeout: 60_000 });
      const range = await rangeOf(page);
      const ttfsi = await api<TtfsiResponse>('/api/v1/reports/ttfsi', range);
      expect(await page.getByTestId('ttfsi-median').textContent()).toBe(formatDuration(ttfsi.kaplanMeier.median));
      expect(await page.getByTestId('ttfsi-completed').textContent()).toBe(formatCount(ttfsi.completed));
      // The completers' percentiles stay, behind "How is this computed?".
      await page.getByText('How is this computed?').click();
      expect(await page.getByTestId('ttfsi-percentiles').textContent()).toContain(`p90 ${formatDuration(ttfsi.percentiles.p90)}`);

      await page.goto(`${server.url}/reports/api-health/?range=90d`);
      await page.locator('[data-testid="health-report"]').waitFor({ timeout: 60_000 });
      const healthRange = await rangeOf(page);
      const health = await api<ApiHealthResponse>('/api/v1/reports/api-health', healthRange);
      expect(await page.getByTestId('health-overall-calls').textContent()).toBe(formatCount(health.overall.calls));
      expect(await page.getByTestId('health-overall-error-rate').textContent()).toBe(formatPercent(health.overall.errorRate));

      await page.goto(`${server.url}/reports/docs/?range=90d`);
      await page.locator('[data-testid="docs-table"]').waitFor({ timeout: 60_000 });
      const docs = await api<DocsResponse>('/api/v1/reports/docs', await rangeOf(page));
      const shownPaths = await page.locator('[data-testid="docs-table"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
      // Docs and quickstarts only, until "All pages" is ticked.
      const docPages = docs.pages.filter((p) => isDocPath(p.path));
      expect(docPages.length).toBeLessThan(docs.pages.length);
      expect(new Set(shownPaths)).toEqual(new Set(docPages.map((p) => p.path)));
      // Worst first: the first row has the lowest Wilson lower bound among rated pages.
      const rated = docPages.filter((p) => p.wilsonLower !== null).sort((a, b) => a.wilsonLower! - b.wilsonLower!);
      expect(shownPaths[0]).toBe(rated[0]!.path);

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV of doc satisfaction' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^onramp-doc-satisfaction-\d{4}-\d{2}-\d{2}\.csv$/);
      const csv = readFileSync(await download.path(), 'utf8')
        .trimEnd()
        .split('\r\n');
      expect(csv[0]).toBe(
        'Page,Title,Views,Helpful,"Helpful, adjusted for few votes",Readers to first successful call,Non-readers to first successful call,Flag,Readers,Helpful votes,Not helpful votes',
      );
      expect(csv).toHaveLength(docPages.length + 1);
      await page.getByTestId('docs-all-pages').check();
      await expect.poll(() => page.locator('[data-testid="docs-table"] tbody tr').count(), { timeout: 30_000 }).toBe(docs.pages.length);
      expect(csv[1]!.split(',')[0]).toBe(rated[0]!.path);
      expect(errors).toEqual([]);
      await page.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'shows helpful empty states for a range with no data',
    async () => {
      const empty = '?range=custom&from=2020-01-06&to=2020-01-12';
      const { page, errors } = await open(`/reports/${empty}`);
      await page.getByText('Nobody did the first step in this range.').waitFor({ timeout: 60_000 });
      await page.getByText('No one started the funnel in any week of this range.').waitFor({ timeout: 60_000 });
      await page.screenshot({ path: `${SHOTS}funnel-empty-1280.png`, fullPage: true });
      await page.goto(`${server.url}/reports/api-health/${empty}`);
      await page.getByText('No sandbox API calls in this range.').waitFor({ timeout: 60_000 });
      await page.goto(`${server.url}/reports/ttfsi/${empty}`);
      await page.getByText('Nobody signed up in this range.').waitFor({ timeout: 60_000 });
      expect(await seriousA11yViolations(page)).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'shows the API’s own error message when a query is rejected',
    async () => {
      const { page, errors } = await open(`/reports/?breakdown=${encodeURIComponent('plan"name')}`);
      await expect.poll(() => page.getByRole('alert').first().textContent(), { timeout: 60_000 }).toContain('breakdown: must not contain quotes');
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.locator('[data-testid="funnel-report"]').waitFor({ timeout: 60_000 });
      // The browser logs the rejected request itself; nothing else may error.
      expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
      await page.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'renders a stored <script> comment and event name as text, never as markup',
    async () => {
      const { page, errors } = await open(`/reports/docs/?range=7d&page=${encodeURIComponent(XSS_PATH)}`);
      await page.getByTestId('doc-comments').waitFor({ timeout: 60_000 });
      await expect.poll(() => page.getByTestId('doc-comments').textContent(), { timeout: 60_000 }).toContain(XSS_COMMENT);
      expect(await page.locator('[data-testid="doc-comments"] script, [data-testid="doc-comments"] img').count()).toBe(0);
      await page.screenshot({ path: `${SHOTS}docs-detail-1280.png`, fullPage: true });
      expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();

      await page.goto(`${server.url}/reports/events/?event=${encodeURIComponent(XSS_EVENT)}`);
      await page.locator('[data-testid="events-table"]').waitFor({ timeout: 60_000 });
      await expect.poll(() => page.locator('[data-testid="events-table"] tbody').textContent(), { timeout: 60_000 }).toContain(XSS_EVENT);
      expect(await page.locator('[data-testid="events-table"] tbody script, [data-testid="events-table"] tbody img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
      expect(errors).toEqual([]);
      await page.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'logs out: the session cookie stops working',
    async () => {
      const { page } = await open('/reports/events/');
      await page.locator('[data-testid="events-table"]').waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/reports\/login\//);
      await page.goto(`${server.url}/reports/`);
      await page.waitForURL(/\/reports\/login\/\?next=/);
      await page.close();
    },
    TEST_TIMEOUT,
  );
});
