/**
 * The portal knows who is signed in, on every page type, in Debian's headless Chromium against the real server:
 * the header shows the developer's email and "Log out", and logging out works from each page. Also: the Try it
 * console creates a key for a developer who has none and keeps it in memory only, and the dashboard labels calls
 * made with a mistyped key.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSuite, haveChromium, openPage, seriousA11yViolations, startBrowserSuite } from '../support/browser.ts';
import { logIn, mistyped, sandboxCall, signUpIn } from '../support/portal-session.ts';
import type { RunningServer } from '../support/server.ts';

/** One page of each type, and what shows once its islands are up. */
const PAGE_TYPES = [
  { type: 'home', path: '/' },
  { type: 'doc', path: '/docs/errors/' },
  { type: 'quickstart', path: '/quickstarts/curl/' },
  { type: 'dashboard', path: '/dashboard/', ready: '[data-testid="dashboard"]' },
  { type: 'support', path: '/support/', ready: '[data-testid="support-form"]' },
  { type: 'login', path: '/login/' },
  { type: 'signup', path: '/signup/' },
] as const;

let server: RunningServer;
let suite: BrowserSuite;
let context: BrowserContext;

/** Whether the browser's session is signed in, as the portal API says. */
async function signedIn(page: Page): Promise<boolean> {
  const me = (await (await page.request.get(`${server.url}/api/v1/portal/me`)).json()) as { account: unknown };
  return me.account !== null;
}

/** Everything the page keeps on the client side: both storages, its cookies as scripts and the browser see them, its URL. */
async function clientSideState(page: Page): Promise<string> {
  const inPage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie + location.href);
  return inPage + JSON.stringify(await context.cookies());
}

describe.skipIf(!haveChromium)('signed-in portal (Chromium)', () => {
  beforeAll(async () => {
    suite = await startBrowserSuite();
    ({ server, context } = suite);
  }, 360_000);

  afterAll(() => suite?.close());

  it('every page type shows "<email> · Log out" when signed in, and logs out from there', async () => {
    const { email } = await signUpIn(context, server, 'everywhere');
    for (const spec of PAGE_TYPES) {
      const { page, errors } = await openPage(context, `${server.url}${spec.path}`);
      if ('ready' in spec) await page.locator(spec.ready).waitFor();
      const who = page.locator('[data-account-email]:visible');
      await expect.poll(() => who.textContent(), { message: `${spec.type}: email in the header` }).toBe(email);
      const headerLogIn = page.locator('header').getByRole('link', { name: 'Log in', exact: true });
      expect(await headerLogIn.isVisible(), `${spec.type}: no "Log in" link in the header`).toBe(false);
      if (spec.type === 'home' || spec.type === 'doc') expect(await seriousA11yViolations(page), spec.type).toEqual([]);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${server.url}/`);
      expect(await signedIn(page), `${spec.type}: logged out`).toBe(false);
      await page.locator('header').getByRole('link', { name: 'Log in', exact: true }).waitFor();
      expect(await page.locator('[data-account-email]:visible').count()).toBe(0);
      expect(errors).toEqual([]);
      await page.close();
      await logIn(context, server, email);
    }
  }, 180_000);

  it('on a phone, the docs menu carries the account and logs out', async () => {
    const { email } = await signUpIn(context, server, 'phone');
    const { page } = await openPage(context, `${server.url}/docs/first-call/`, 390);
    await page.getByRole('button', { name: 'Menu' }).click();
    const who = page.locator('[data-account-email]:visible');
    await expect.poll(() => who.textContent()).toBe(email);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await signedIn(page)).toBe(false);
    await page.close();
  }, 120_000);

  it('Try it creates a key for a developer who has none, uses it, and stores it nowhere', async () => {
    await signUpIn(context, server, 'tryit');
    const { page, errors } = await openPage(context, `${server.url}/docs/first-call/`);
    await page.locator('[data-tryit-ready="true"]').waitFor();
    const offer = page.getByTestId('tryit-key-offer');
    await expect.poll(() => offer.textContent()).toContain('You have no API key yet');
    await offer.getByRole('button', { name: 'Create a test key' }).click();
    await expect.poll(() => offer.getByRole('status').textContent()).toContain('Created the test key');
    const secret = await page.getByLabel('Secret key').inputValue();
    expect(secret).toMatch(/^onr_test_[A-Za-z0-9]{40}$/);
    expect(await page.getByLabel('Secret key').getAttribute('type'), 'masked like a pasted key').toBe('password');

    await page.getByRole('button', { name: 'Send request' }).click();
    await expect.poll(() => page.getByTestId('tryit-status').textContent()).toBe('201');
    const secretPart = secret.slice(17);
    expect(await clientSideState(page)).not.toContain(secretPart);

    // The key is the developer's own: listed in the dashboard, with the console's call.
    await page.goto(`${server.url}/dashboard/`);
    await expect.poll(() => page.getByTestId('keys-table').textContent()).toContain('Try it console');
    await expect.poll(() => page.getByTestId('calls-table').locator('tbody tr[data-status="201"]').count()).toBe(1);
    expect(await clientSideState(page)).not.toContain(secretPart);
    // A reload forgets it: the console starts empty again.
    await page.goto(`${server.url}/docs/first-call/`);
    await page.locator('[data-tryit-ready="true"]').waitFor();
    expect(await page.getByLabel('Secret key').inputValue()).toBe('');
    await expect.poll(() => offer.textContent()).toContain('Create another test key');
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('anonymous readers are offered sign-up and log-in that come back to the console', async () => {
    const anonymous = await suite.browser.newContext();
    const { page } = await openPage(anonymous, `${server.url}/docs/first-call/`);
    const offer = page.getByTestId('tryit-key-offer');
    await offer.waitFor();
    expect(await offer.getByRole('link', { name: 'Sign up' }).getAttribute('href')).toBe(`/signup/?next=${encodeURIComponent('/docs/first-call/#try-it')}`);
    expect(await offer.getByRole('button').count()).toBe(0);
    await anonymous.close();
  }, 60_000);

  it('the dashboard labels a call made with a mistyped key, at 1280 and 390 px', async () => {
    await signUpIn(context, server, 'typo');
    const res = await context.request.post(`${server.url}/api/v1/portal/keys`, { data: { name: 'laptop' }, headers: { origin: server.url } });
    const { secret } = (await res.json()) as { secret: string };
    expect(await sandboxCall(server, mistyped(secret))).toBe(401);
    expect(await sandboxCall(server, secret)).toBe(201);
    for (const width of [1280, 390]) {
      const { page } = await openPage(context, `${server.url}/dashboard/`, width);
      const rows = page.getByTestId('calls-table').locator('tbody tr');
      await expect.poll(() => rows.count()).toBe(2);
      const typo = page.getByTestId('calls-table').locator('tbody tr[data-status="401"]');
      expect(await typo.getByTestId('mistyped-key').textContent()).toBe('mistyped key');
      expect(await typo.getByTestId('mistyped-key').getAttribute('title')).toContain('wrong secret');
      expect(await page.getByTestId('calls-table').locator('tbody tr[data-status="201"]').getByTestId('mistyped-key').count()).toBe(0);
      await typo.getByTestId('mistyped-key').scrollIntoViewIfNeeded();
      expect(await typo.getByTestId('mistyped-key').isVisible()).toBe(true);
      await page.close();
    }
  }, 120_000);
});
