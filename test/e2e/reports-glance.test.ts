/**
 * Reports a PM and a doc writer read at a glance, in Chromium on the demo data at 1280 and 390 px: the change on
 * every headline card, flags that explain themselves, plain words before statistics, doc pages by title with
 * readers' reasons, labelled funnel bars, live events with seconds, emails and a property tree, and an alert rule
 * pre-filled from the funnel. Each page is axe-checked and screenshotted at both widths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocsReport, EventsResponse, FunnelReport, TtfsiReport } from '../../api/analytics/contract.ts';
import { formatPercent } from '../../site/components/reports/format.ts';
import { FEEDBACK_REASONS } from '../../site/tracking/events.ts';
import {
  type BrowserSuite,
  haveChromium,
  reportsApi,
  SCREENSHOTS as SHOTS,
  seriousA11yViolations,
  signInToReports,
  startBrowserSuite,
} from '../support/browser.ts';

const TEST_TIMEOUT = 180_000;
const WIDTHS = [1280, 390] as const;
const STEPS = 'signed_up,api_key_created,first_successful_call';

let suite: BrowserSuite;

const api = <T>(path: string, params: Record<string, string>) => reportsApi<T>(suite.server, path, params);

const open = (path: string, width = 1280) => suite.open(path, width);

/** No sideways scroll, no serious axe violation, no console error; then a full-page screenshot. */
async function checkPage(page: Awaited<ReturnType<typeof open>>['page'], errors: string[], shot: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, 'page must not scroll sideways').toBeLessThanOrEqual(0);
  expect(await seriousA11yViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
  await page.screenshot({ path: `${SHOTS}${shot}.png`, fullPage: true });
}

describe.skipIf(!haveChromium)('reports at a glance in Chromium', () => {
  beforeAll(async () => {
    suite = await startBrowserSuite({ env: { ONRAMP_DEMO: '1' } });
    await signInToReports(suite.context, suite.server, '/reports/events/');
  }, 360_000);

  afterAll(() => suite?.close());

  it(
    'funnel at 7 days: every card has its change, the drop explains its Dropped 0, evidence shows once, bars are labelled',
    async () => {
      for (const width of WIDTHS) {
        const { page, errors } = await open('/reports/?range=7d', width);
        await page.getByTestId('funnel-report').waitFor({ timeout: 60_000 });
        await page.waitForLoadState('networkidle');
        const readout = page.getByTestId('range-readout');
        const range = { from: (await readout.getAttribute('data-from'))!, to: (await readout.getAttribute('data-to'))! };
        const funnel = await api<FunnelReport>('/api/v1/reports/funnel', { ...range, steps: STEPS, window: '14d', order: 'ordered' });
        for (const card of ['funnel-started', 'funnel-completed', 'funnel-overall', 'funnel-inprogress']) {
          const delta = page.getByTestId(`${card}-delta`);
          expect(await delta.textContent()).toMatch(/the period before/);
          expect(['good', 'bad', 'neutral']).toContain(await delta.getAttribute('data-tone'));
        }
        const startedBefore = funnel.previous.steps[0]!.count.toLocaleString('en-US');
        expect(await page.getByTestId('funnel-started-delta').textContent()).toContain(`vs. ${startedBefore}`);
        // The incident: conversion to a first success fell, significantly, so the card is red and not "not significant".
        expect(funnel.previous.overallConversionP).toBeLessThan(0.05);
        expect(await page.getByTestId('funnel-overall-delta').getAttribute('data-tone')).toBe('bad');
        expect(await page.getByTestId('funnel-overall-delta').textContent()).not.toContain('not significant');

        const drop = funnel.flags.find((f) => f.kind === 'significant_drop')!;
        const stuck = funnel.steps[drop.step - 1]!.count - funnel.steps[drop.step]!.count;
        const explanation = page.getByTestId('flag-explanation').first();
        expect(await explanation.textContent()).toContain(`${stuck.toLocaleString('en-US')} developers created a key but have not made a successful call`);
        if (funnel.steps[drop.step]!.dropOff === 0) expect(await explanation.textContent()).toContain('None count as dropped yet');
        expect(await page.locator('.flag-rates').first().textContent()).toMatch(/very unlikely to be chance \(p < 0\.001\)/);
        const topError = drop.evidence.topErrors[0]!;
        expect(await page.getByTestId('flag-evidence').first().textContent()).toContain(
          `${topError.count.toLocaleString('en-US')} failed calls by ${topError.persons.toLocaleString('en-US')} developers`,
        );
        const stepsFlagged = new Set(funnel.flags.map((f) => f.step)).size;
        expect(await page.getByTestId('flag-evidence').count()).toBe(stepsFlagged);

        // Each step's bar carries its share of step 1.
        const labels = await page.locator('.chart-canvas text.bar-share-label').allTextContents();
        expect(labels).toEqual(funnel.steps.map((s) => `${Math.round(s.conversionFromStart! * 100).toFixed(0)}%`));
        await page.getByText('How is this computed?').click();
        expect(await page.getByTestId('how-computed').textContent()).toContain('two-proportion z-test');
        await page.getByText('Loading weekly cohorts').waitFor({ state: 'detached', timeout: 90_000 });
        await checkPage(page, errors, `glance-funnel-${width}`);
        await page.close();
      }
    },
    TEST_TIMEOUT * 2,
  );

  it(
    'funnel breakdown with one value says so instead of drawing 100% bars',
    async () => {
      const { page, errors } = await open('/reports/?range=30d&breakdown=%24lib');
      await page.getByTestId('breakdown-single').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('breakdown-single').textContent()).toContain('nothing to compare');
      expect(await page.getByRole('radio', { name: 'Grouped bars' }).count()).toBe(0);
      await page.getByText('Loading weekly cohorts').waitFor({ state: 'detached', timeout: 90_000 });
      await checkPage(page, errors, 'glance-funnel-breakdown-single-1280');
      await page.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'TTFSI: one headline median counting developers still trying, its change, and why completed differs from the funnel',
    async () => {
      for (const width of WIDTHS) {
        const { page, errors } = await open('/reports/ttfsi/?range=30d', width);
        await page.getByTestId('ttfsi-report').waitFor({ timeout: 60_000 });
        const readout = page.getByTestId('range-readout');
        const range = { from: (await readout.getAttribute('data-from'))!, to: (await readout.getAttribute('data-to'))! };
        const ttfsi = await api<TtfsiReport>('/api/v1/reports/ttfsi', range);
        expect(await page.getByText('Median time to first success').count()).toBe(1);
        expect(await page.getByText('counting developers still trying').count()).toBe(1);
        for (const card of ['ttfsi-median', 'ttfsi-completed', 'ttfsi-completion', 'ttfsi-inprogress'])
          expect(await page.getByTestId(`${card}-delta`).textContent()).toContain('the period before');
        expect(await page.getByTestId('ttfsi-completed-delta').textContent()).toContain(`vs. ${ttfsi.previous.completed.toLocaleString('en-US')}`);
        expect(await page.getByTestId('ttfsi-vs-funnel').textContent()).toContain('conversion window');
        // Statistics words only behind the disclosure.
        // innerText, not textContent: the closed disclosure's text is in the DOM but not on screen.
        // biome-ignore lint/performance/useDomNodeTextContent: only rendered text counts here.
        const visible = await page.locator('main').evaluate((m) => (m as HTMLElement).innerText);
        expect(visible).not.toMatch(/Kaplan|censored/);
        await page.getByText('How is this computed?').click();
        expect(await page.getByTestId('how-computed').textContent()).toContain('Kaplan–Meier');
        await checkPage(page, errors, `glance-ttfsi-${width}`);
        await page.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'docs: titles over paths, docs only by default, readers’ reasons, comments with vote and date, a page’s trend',
    async () => {
      for (const width of WIDTHS) {
        const { page, errors } = await open('/reports/docs/?range=7d&page=%2Fdocs%2Fauthentication%2F', width);
        await page.getByTestId('docs-table').waitFor({ timeout: 60_000 });
        const readout = page.getByTestId('range-readout');
        const range = { from: (await readout.getAttribute('data-from'))!, to: (await readout.getAttribute('data-to'))! };
        const docs = await api<DocsReport>('/api/v1/reports/docs', range);
        expect(await page.getByTestId('docs-helpful-delta').textContent()).toContain(`vs. ${formatPercent(docs.previous.helpfulRate)}`);
        const row = page.locator('[data-testid="docs-table"] tr[data-path="/docs/authentication/"]');
        expect(await row.locator('.page-title').textContent()).toBe('Authentication');
        expect(await row.locator('.page-path').textContent()).toBe('/docs/authentication/');
        const paths = await page.locator('[data-testid="docs-table"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')));
        expect(paths.filter((p) => p === '/signup/' || p === '/dashboard/' || p === '/')).toEqual([]);
        const auth = docs.pages.find((p) => p.path === '/docs/authentication/')!;
        expect(await row.locator('td').nth(3).textContent()).toBe(`${Math.round(auth.wilsonLower! * 100)}%`);
        await page.getByTestId('doc-trend').waitFor({ timeout: 60_000 });
        const detail = await page.getByTestId('doc-detail').textContent();
        expect(detail).toContain(FEEDBACK_REASONS[0].label);
        expect(detail).not.toContain('code_didnt_work');
        const comment = page.locator('[data-testid="doc-comments"] li').first();
        expect(await comment.locator('.vote-badge').textContent()).toMatch(/^(Not helpful|Helpful)$/);
        expect(await comment.locator('.comment-meta').textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
        expect(await page.locator('th', { hasText: /^\s*Readers to first successful call/ }).count()).toBe(1);
        await checkPage(page, errors, `glance-docs-${width}`);
        await page.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'live events: times with seconds, the email next to the id linking to the person, properties as a tree',
    async () => {
      const { events } = await api<EventsResponse>('/api/v1/events', { event: 'signed_up', limit: '5' });
      const known = events.find((e) => e.personEmail)!;
      expect(known).toBeDefined();
      for (const width of WIDTHS) {
        const { page, errors } = await open('/reports/events/?event=signed_up', width);
        await page.getByTestId('events-table').waitFor({ timeout: 60_000 });
        const firstTime = await page.locator('[data-testid="events-table"] tbody tr td').first().textContent();
        expect(firstTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        const email = page.getByTestId('event-person-email').first();
        expect(await email.textContent()).toBe(events[0]!.personEmail);
        expect(await email.getAttribute('href')).toBe(`/reports/person/?id=${encodeURIComponent(events[0]!.personId)}`);
        await page.locator('[data-testid="events-table"] tbody tr').first().getByText('View').click();
        const tree = page.getByTestId('property-tree').first();
        await tree.waitFor();
        expect(await tree.locator('.prop-key').first().isVisible()).toBe(true);
        await checkPage(page, errors, `glance-events-${width}`);
        await page.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'API health: every card has its change against the previous period',
    async () => {
      for (const width of WIDTHS) {
        const { page, errors } = await open('/reports/api-health/?range=7d', width);
        await page.getByTestId('health-report').waitFor({ timeout: 60_000 });
        for (const card of ['health-overall-calls', 'health-overall-error-rate', 'health-latency', 'health-tickets'])
          await expect.poll(() => page.getByTestId(`${card}-delta`).textContent(), { timeout: 60_000 }).toMatch(/vs\. \d.* the period before/);
        await checkPage(page, errors, `glance-api-health-${width}`);
        await page.close();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'alerts: the demo’s log-only rule shows the incident as would have fired',
    async () => {
      const { page, errors } = await open('/reports/alerts/');
      await page.getByText('Onboarding funnel drop (demo, log only)').first().waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Deliveries of Onboarding funnel drop (demo, log only)' }).click();
      await expect.poll(() => page.locator('#alert-deliveries').textContent(), { timeout: 60_000 }).toContain('would have fired');
      await checkPage(page, errors, 'glance-alerts-demo-rule-1280');
      await page.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'alerts: "Alert me when this funnel drops" opens the form filled in with the funnel’s steps and window',
    async () => {
      for (const width of WIDTHS) {
        const { page, errors } = await open('/reports/?range=7d&steps=signed_up%2Cfirst_successful_call&window=7d', width);
        await page.getByTestId('funnel-report').waitFor({ timeout: 60_000 });
        await page.getByTestId('funnel-alert-link').click();
        await page.waitForURL(/\/reports\/alerts\/\?new=1/);
        await page.getByTestId('alert-prefilled').waitFor({ timeout: 60_000 });
        expect(await page.getByLabel('Step 1 event').inputValue()).toBe('signed_up');
        expect(await page.getByLabel('Step 2 event').inputValue()).toBe('first_successful_call');
        expect(await page.getByLabel('Step 3 event').count()).toBe(0);
        expect(await page.getByLabel('Conversion window').inputValue()).toBe('7d');
        expect(await page.getByLabel('Rule name').inputValue()).toBe('Drop from signed_up to first_successful_call');
        await checkPage(
          page,
          errors.filter((e) => !e.includes('ERR_ABORTED')),
          `glance-alerts-${width}`,
        );
        await page.close();
      }
    },
    TEST_TIMEOUT,
  );
});
