/**
 * Alerts page end to end: the real server, a production Astro build, Debian's headless Chromium and a local
 * webhook receiver. An admin logs in, sees the empty state, gets the API's own message for a bad webhook URL,
 * creates a rule through the form, checks it now (the receiver gets the Slack-style POST), reads the delivery
 * log, exports the rules as CSV, edits and deletes the rule — with no console errors and no serious axe findings.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, openPage, seriousA11yViolations, signInToReports } from '../support/browser.ts';
import { ensureSiteBuilt } from '../support/build.ts';
import { type RunningServer, startServer } from '../support/server.ts';

const TEST_TIMEOUT = 180_000;
const SHOTS = fileURLToPath(new URL('../screenshots/', import.meta.url));
const RULE_NAME = 'Signup to key';
const BAD_WEBHOOK = 'hooks.example.com/no-scheme';
/** Chromium logs every 4xx fetch as a console error; the one deliberate 400 (bad webhook URL) is expected. */
const EXPECTED_400 = /Failed to load resource: the server responded with a status of 400/;

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let receiver: Server;
let receiverUrl: string;
const received: Array<{ text?: string; blocks?: unknown[] }> = [];

async function adminApi<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (res.status === 204 ? null : await res.json()) as T };
}

const open = (path: string, width = 1280) => openPage(context, `${server.url}${path}`, width);

async function noSidewaysScroll(page: Page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe.skipIf(!haveChromium)('alerts UI in Chromium', () => {
  beforeAll(async () => {
    ensureSiteBuilt();
    mkdirSync(SHOTS, { recursive: true });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push(JSON.parse(body) as { text?: string });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    // The receiver listens on loopback, which alert webhooks may only target with this flag.
    server = await startServer({ env: { ONRAMP_ALERTS_ALLOW_PRIVATE_WEBHOOKS: '1' } });
    // Signups with no API key created: step 2 converts at 0 %, so a "conversion below 50 %" rule triggers.
    const now = Date.now();
    const batch = ['a', 'b', 'c', 'd'].map((id, i) => ({
      event: 'signed_up',
      distinct_id: `alerts-e2e-${id}`,
      timestamp: new Date(now - 3_600_000 - i * 60_000).toISOString(),
      properties: {},
    }));
    const capture = await fetch(`${server.url}/batch/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // signed_up is a server-defined milestone: it is sent with the server token, as the backend sends it.
      body: JSON.stringify({ api_key: server.serverToken, batch }),
    });
    expect(capture.status).toBe(200);
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true });
    await signInToReports(context, server, '/reports/alerts/');
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it(
    'creates a rule through the form, shows the API’s validation message, checks, edits and deletes it',
    async () => {
      const { page, errors } = await open('/reports/alerts/', 1280);
      await page.getByTestId('alerts-report').waitFor({ timeout: 60_000 });
      await page.getByText('No alert rules yet').waitFor();
      // Playwright's innerText (the rendered text), not the DOM property the lint rule is about.
      // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator method, not Node#innerText
      await expect.poll(() => page.locator('nav[aria-label="Reports"] a[aria-current="page"]').innerText()).toBe('Alerts');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.screenshot({ path: `${SHOTS}alerts-empty-1280.png`, fullPage: true });

      // A bad webhook URL: the message on screen is the API's own, attached to the field.
      await page.getByLabel('Rule name').fill(RULE_NAME);
      await page.getByLabel('Webhook URL').fill(BAD_WEBHOOK);
      await page.getByRole('button', { name: 'Create rule' }).click();
      const apiAnswer = await adminApi<{ error: { code: string; message: string } }>('POST', '/api/v1/alerts', {
        name: RULE_NAME,
        webhookUrl: BAD_WEBHOOK,
        trigger: { kind: 'significant_drop' },
      });
      expect(apiAnswer.status).toBe(400);
      expect(apiAnswer.json.error.message).toMatch(/^webhookUrl: /);
      const fieldError = page.getByRole('alert').filter({ hasText: 'webhookUrl:' });
      await expect.poll(() => fieldError.textContent(), { timeout: 30_000 }).toBe(apiAnswer.json.error.message);
      expect(await page.getByLabel('Webhook URL').getAttribute('aria-invalid')).toBe('true');
      expect((await page.getByLabel('Webhook URL').getAttribute('aria-describedby')) ?? '').toContain(await fieldError.getAttribute('id'));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.screenshot({ path: `${SHOTS}alerts-invalid-1280.png` });
      expect((await adminApi<{ rules: unknown[] }>('GET', '/api/v1/alerts')).json.rules).toEqual([]);

      // A valid rule: conversion below 50 % at step 2, checked daily, posting to the local receiver.
      await page.getByLabel('Webhook URL').fill(receiverUrl);
      await page.getByLabel('Trigger').selectOption('conversion_below');
      await page.getByLabel('Conversion threshold (%)').fill('50');
      await page.getByLabel('Step watched').selectOption({ label: 'Step 2: api_key_created' });
      await page.getByText('Daily', { exact: true }).click();
      await page.getByRole('button', { name: 'Create rule' }).click();
      await page.getByText(`Created “${RULE_NAME}”.`).waitFor({ timeout: 30_000 });
      const row = page.locator('tbody tr', { hasText: RULE_NAME });
      await row.waitFor();
      expect(await row.textContent()).toContain('Conversion below 50.0% at step 2 (api_key_created)');
      expect(await page.getByRole('alert').count()).toBe(0);
      const { json: listed } = await adminApi<{
        rules: Array<{ id: string; name: string; interval: string; trigger: unknown; webhookUrl: string; steps: string[] }>;
      }>('GET', '/api/v1/alerts');
      expect(listed.rules).toHaveLength(1);
      expect(listed.rules[0]).toMatchObject({
        name: RULE_NAME,
        interval: 'daily',
        trigger: { kind: 'conversion_below', threshold: 0.5, step: 1 },
        webhookUrl: receiverUrl,
        steps: ['signed_up', 'api_key_created', 'first_successful_call'],
      });
      const ruleId = listed.rules[0]!.id;

      // Check now: the condition holds, so the receiver gets a Slack-style message (the scheduler may have sent it first).
      await page.getByRole('button', { name: `Check ${RULE_NAME} now` }).click();
      await page.getByTestId('check-result').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('check-result').textContent()).toMatch(/1 condition holds/);
      await expect.poll(() => received.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
      expect(received[0]!.text).toContain(RULE_NAME);
      // The row re-reads the rule after the check; on a networked database that lands a moment after the result.
      await expect.poll(() => row.textContent(), { timeout: 30_000 }).toContain('Alerting (1 condition)');

      await page.getByRole('button', { name: `Deliveries of ${RULE_NAME}` }).click();
      const deliveries = page.getByRole('region', { name: `Webhook deliveries of ${RULE_NAME}` });
      await deliveries.waitFor({ timeout: 30_000 });
      const { json: log } = await adminApi<{ deliveries: Array<{ status: string; attempts: number }> }>('GET', `/api/v1/alerts/${ruleId}/deliveries`);
      expect(log.deliveries.length).toBeGreaterThanOrEqual(1);
      expect(await deliveries.locator('tbody tr').count()).toBe(log.deliveries.length);
      expect(await deliveries.locator('tbody tr').first().textContent()).toContain('delivered');

      // CSV export of the rules table carries the full webhook URL.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV of alert rules' }).click()]);
      expect(download.suggestedFilename()).toMatch(/^onramp-alert-rules-\d{4}-\d{2}-\d{2}\.csv$/);
      const csv = readFileSync((await download.path())!, 'utf8')
        .trimEnd()
        .split('\r\n');
      expect(csv[0]).toBe('id,name,steps,window,range,interval,trigger,webhook_url,enabled,state,last_check,next_check');
      expect(csv[1]).toContain(`${ruleId},${RULE_NAME},"signed_up,api_key_created,first_successful_call",14d,7d,daily,`);
      expect(csv[1]).toContain(receiverUrl);

      expect(await seriousA11yViolations(page)).toEqual([]);
      expect(await noSidewaysScroll(page)).toBeLessThanOrEqual(0);
      const rulesRegion = page.getByRole('region', { name: 'Alert rules table' });
      expect(await rulesRegion.evaluate((el) => el.scrollWidth - el.clientWidth), 'rules table fits at 1280 px').toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SHOTS}alerts-1280.png`, fullPage: true });

      // The same page on a phone.
      const phone = await open('/reports/alerts/', 390);
      await phone.page.locator('tbody tr', { hasText: RULE_NAME }).waitFor({ timeout: 60_000 });
      expect(await noSidewaysScroll(phone.page), 'page must not scroll sideways at 390 px').toBeLessThanOrEqual(0);
      expect(await seriousA11yViolations(phone.page)).toEqual([]);
      await phone.page.screenshot({ path: `${SHOTS}alerts-390.png`, fullPage: true });
      expect(phone.errors).toEqual([]);
      await phone.page.close();

      // Edit: the form loads the rule; saving PATCHes it.
      await page.getByRole('button', { name: `Edit ${RULE_NAME}` }).click();
      const nameInput = page.getByLabel('Rule name');
      await expect.poll(() => nameInput.inputValue()).toBe(RULE_NAME);
      expect(await page.getByLabel('Conversion threshold (%)').inputValue()).toBe('50');
      await nameInput.fill(`${RULE_NAME} (edited)`);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText(`Saved “${RULE_NAME} (edited)”.`).waitFor({ timeout: 30_000 });
      expect((await adminApi<{ name: string; trigger: unknown }>('GET', `/api/v1/alerts/${ruleId}`)).json).toMatchObject({
        name: `${RULE_NAME} (edited)`,
        trigger: { kind: 'conversion_below', threshold: 0.5, step: 1 },
      });

      // Delete, after confirming.
      await page.getByRole('button', { name: `Delete ${RULE_NAME} (edited)` }).click();
      await page.getByRole('button', { name: 'Delete rule' }).click();
      await page.getByText('No alert rules yet').waitFor({ timeout: 30_000 });
      expect((await adminApi<{ rules: unknown[] }>('GET', '/api/v1/alerts')).json.rules).toEqual([]);
      expect((await adminApi('GET', `/api/v1/alerts/${ruleId}`)).status).toBe(404);

      expect(errors.filter((e) => !EXPECTED_400.test(e))).toEqual([]);
      expect(errors.filter((e) => EXPECTED_400.test(e)).length).toBeLessThanOrEqual(1);
      await page.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'shows the API error with a retry when the rules cannot be loaded',
    async () => {
      const { page, errors } = await open('/reports/alerts/', 1280);
      await page.getByTestId('alerts-report').waitFor({ timeout: 60_000 });
      await page.route('**/api/v1/alerts', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'unavailable', message: 'database: busy, try again' } }),
        }),
      );
      await page.reload();
      await page.getByRole('alert').filter({ hasText: 'database: busy, try again' }).waitFor({ timeout: 60_000 });
      await page.unroute('**/api/v1/alerts');
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByText('No alert rules yet').waitFor({ timeout: 30_000 });
      expect(errors.filter((e) => !/status of 503/.test(e))).toEqual([]);
      await page.close();
    },
    TEST_TIMEOUT,
  );
});
