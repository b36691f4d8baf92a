/**
 * Funnel exploration end to end: the real server seeded with demo data, a production Astro build and Debian's
 * headless Chromium. A step's persons list opens from the funnel, pages, and links to the person page; the person
 * page (also reached from live events) shows the developer's email, ids, funnel position, TTFSI and timeline with
 * the failed call and the vote comment, at 1280 and 390 px, with no console errors and no serious axe findings.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunnelPersonsReport, FunnelReport, FunnelTrendReport } from '../../api/analytics/contract.ts';
import type { PersonJourney } from '../../api/analytics/person-contract.ts';
import { type BrowserSuite, haveChromium, SCREENSHOTS as SHOTS, seriousA11yViolations, signInToReports, startBrowserSuite } from '../support/browser.ts';
import type { RunningServer } from '../support/server.ts';

const TEST_TIMEOUT = 180_000;
const DEV = 'person-e2e-dev';
const ANON = 'person-e2e-anon';
const EMAIL = 'person-e2e@example.com';
const COMMENT = '<b>The auth example</b> uses the wrong header';

let suite: BrowserSuite;
let server: RunningServer;

async function capture(token: string, batch: Array<Record<string, unknown>>) {
  const res = await fetch(`${server.url}/batch/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_key: token, batch }),
  });
  expect(res.status).toBe(200);
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.adminToken}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const open = (path: string, width = 1280) => suite.open(path, width);
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe.skipIf(!haveChromium)('funnel persons and the person page in Chromium', () => {
  beforeAll(async () => {
    suite = await startBrowserSuite({ env: { ONRAMP_DEMO: '1' } });
    server = suite.server;
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    await capture(server.projectToken, [
      { event: '$pageview', distinct_id: ANON, timestamp: at(120), properties: { $pathname: '/docs/authentication/' } },
      {
        event: 'doc_feedback',
        distinct_id: ANON,
        timestamp: at(118),
        properties: { helpful: false, path: '/docs/authentication/', reason: 'code_didnt_work', comment: COMMENT },
      },
      { event: '$identify', distinct_id: DEV, timestamp: at(110), properties: { $anon_distinct_id: ANON }, $set: { email: EMAIL } },
    ]);
    await capture(server.serverToken!, [
      { event: 'signed_up', distinct_id: DEV, timestamp: at(100), properties: { source: 'docs' } },
      { event: 'api_key_created', distinct_id: DEV, timestamp: at(90), properties: { key_prefix: 'onr_test_e2e00000', name: 'default' } },
      {
        event: 'api_call',
        distinct_id: DEV,
        timestamp: at(80),
        properties: { status: 401, error_code: 'invalid_key', method: 'POST', endpoint: '/v1/messages' },
      },
      { event: 'api_call', distinct_id: DEV, timestamp: at(60), properties: { status: 200, method: 'POST', endpoint: '/v1/messages' } },
    ]);
    await signInToReports(suite.context, server, '/reports/events/');
  }, 360_000);

  afterAll(() => suite?.close());

  it(
    'opens the person page from live events and shows the journey at 1280 and 390 px',
    async () => {
      const { page, errors } = await open(`/reports/events/?distinct_id=${DEV}`);
      await page.getByTestId('events-table').waitFor({ timeout: 60_000 });
      await page.locator('[data-testid="event-person-email"], [data-testid="event-person-link"]').first().click();
      await page.waitForURL(/\/reports\/person\/\?id=/);
      await page.getByTestId('person-report').waitFor({ timeout: 60_000 });
      const id = new URL(page.url()).searchParams.get('id')!;
      const journey = await api<PersonJourney>(`/api/v1/reports/person?id=${encodeURIComponent(id)}`);

      await expect.poll(() => page.getByTestId('person-email').textContent()).toBe(EMAIL);
      expect(await page.getByTestId('person-distinct-ids').getByRole('listitem').allTextContents()).toEqual(journey.distinctIds);
      expect(journey.distinctIds).toEqual([DEV, ANON].sort());
      expect(await page.getByTestId('person-ttfsi').textContent()).toBe('40 min');
      for (const i of [0, 1, 2]) expect(await page.getByTestId(`person-step-${i}`).getAttribute('class')).toBe('is-reached');
      const items = page.getByTestId('timeline-item');
      expect(await items.count()).toBe(journey.events.length);
      // Newest first: the successful call, then the failed one, marked.
      expect(await items.first().getAttribute('data-kind')).toBe('call');
      const failed = page.locator('[data-testid="timeline-item"].is-failed');
      expect(await failed.count()).toBe(1);
      expect(await failed.textContent()).toContain('invalid_key');
      // The comment is shown as text, never as markup.
      expect(await page.locator('.timeline-comment').textContent()).toBe(COMMENT);
      expect(await page.locator('.timeline-comment b').count()).toBe(0);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.screenshot({ path: `${SHOTS}person-1280.png`, fullPage: true });

      await page.getByText('Failures', { exact: true }).click();
      expect(await items.count()).toBe(1);
      expect(errors).toEqual([]);

      const phone = await open(`/reports/person/?id=${encodeURIComponent(id)}`, 390);
      await phone.page.getByTestId('person-timeline').waitFor({ timeout: 60_000 });
      expect(await sideways(phone.page)).toBeLessThanOrEqual(0);
      expect(await seriousA11yViolations(phone.page)).toEqual([]);
      await phone.page.screenshot({ path: `${SHOTS}person-390.png`, fullPage: true });
      expect(phone.errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'lists the persons behind a step figure, pages them and opens one, at 1280 and 390 px',
    async () => {
      const { page, errors } = await open('/reports/');
      await page.getByTestId('funnel-report').waitFor({ timeout: 120_000 });
      const readout = page.getByTestId('range-readout');
      const range = { from: (await readout.getAttribute('data-from'))!, to: (await readout.getAttribute('data-to'))! };
      const report = await api<FunnelReport>(`/api/v1/reports/funnel?${new URLSearchParams(range)}`);
      const dropped = report.steps[1]!.dropOff;
      expect(dropped).toBeGreaterThan(25);

      await page.getByTestId('funnel-dropped-1').getByRole('button').click();
      const list = page.getByTestId('funnel-persons');
      await list.getByTestId('funnel-person').first().waitFor({ timeout: 60_000 });
      const listed = await api<FunnelPersonsReport>(
        `/api/v1/reports/funnel/persons?${new URLSearchParams({ ...range, step: '1', status: 'dropped', limit: '25' })}`,
      );
      expect(listed.total).toBe(dropped);
      expect(await list.getByTestId('funnel-person').count()).toBe(25);
      expect(await list.getByTestId('persons-range').textContent()).toBe(`1–25 of ${dropped.toLocaleString('en-US')}`);
      await list.getByRole('button', { name: 'Next' }).click();
      await expect.poll(() => list.getByTestId('persons-range').textContent(), { timeout: 60_000 }).toMatch(/^26–/);

      // The demo incident: conversion over its last days falls below the weeks before.
      const trend = await api<FunnelTrendReport>(`/api/v1/reports/funnel/trend?${new URLSearchParams(range)}`);
      expect(trend.interval).toBe('day');
      const rate = (points: FunnelTrendReport['points']) => points.reduce((n, x) => n + x.completed, 0) / points.reduce((n, x) => n + x.entered, 0);
      const full = trend.points.slice(1, -1);
      expect(rate(full.slice(-6))).toBeLessThan(rate(full.slice(0, -7)) * 0.8);
      await page.getByTestId('funnel-trend').waitFor({ timeout: 60_000 });
      await page.getByTestId('funnel-time-to-convert').waitFor({ timeout: 60_000 });
      await page.getByTestId('funnel-cohorts').waitFor({ timeout: 60_000 });
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.screenshot({ path: `${SHOTS}funnel-persons-1280.png`, fullPage: true });

      const first = list.getByTestId('funnel-person').first().getByRole('link');
      await first.click();
      await page.waitForURL(/\/reports\/person\/\?id=/);
      await page.getByTestId('person-report').waitFor({ timeout: 60_000 });
      const journey = await api<PersonJourney>(`/api/v1/reports/person?id=${encodeURIComponent(new URL(page.url()).searchParams.get('id')!)}`);
      const second = await api<FunnelPersonsReport>(
        `/api/v1/reports/funnel/persons?${new URLSearchParams({ ...range, step: '1', status: 'dropped', limit: '25', offset: '25' })}`,
      );
      expect(second.persons[0]!.personId).toBe(journey.personId);
      expect(errors).toEqual([]);

      const phone = await open('/reports/', 390);
      await phone.page.getByTestId('funnel-report').waitFor({ timeout: 120_000 });
      await phone.page.getByTestId('funnel-inprogress-1').getByRole('button').click();
      await phone.page.getByTestId('funnel-persons').getByTestId('funnel-person').first().waitFor({ timeout: 60_000 });
      await phone.page.getByTestId('funnel-trend').waitFor({ timeout: 60_000 });
      expect(await sideways(phone.page)).toBeLessThanOrEqual(0);
      expect(await seriousA11yViolations(phone.page)).toEqual([]);
      await phone.page.screenshot({ path: `${SHOTS}funnel-persons-390.png`, fullPage: true });
      expect(phone.errors).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'answers an unknown person with the API’s message',
    async () => {
      const { page, errors } = await open('/reports/person/?id=no-such-person');
      await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 60_000 }).toContain('no person has this id');
      // Chromium logs the deliberate 404 fetch as a console error; nothing else may appear.
      expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});
