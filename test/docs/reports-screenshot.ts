/**
 * Takes the README's screenshot of the reports: the real server with demo data, a production build of the site,
 * Debian's headless Chromium at 1280 px, signed in through the login form as a user would.
 *
 * Run: `npx tsx test/docs/reports-screenshot.ts` (writes docs/images/reports.png).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchChromium, openPage } from '../support/browser.ts';
import { ensureSiteBuilt } from '../support/build.ts';
import { startServer } from '../support/server.ts';

const OUT = fileURLToPath(new URL('../../docs/images/reports.png', import.meta.url));
const WIDTH = 1280;
const HEIGHT = 1000;

ensureSiteBuilt();
const server = await startServer({ env: { ONRAMP_DEMO: '1' } });
const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT } });
  const { page: login } = await openPage(context, `${server.url}/reports/login/?next=%2Freports%2F`, WIDTH);
  await login.getByLabel('Admin token').fill(server.adminToken);
  await login.getByRole('button', { name: 'Sign in' }).click();
  await login.waitForURL(`${server.url}/reports/`);
  // The demo data's incident falls in the last 7 days, so that range shows a flagged drop.
  const { page } = await openPage(context, `${server.url}/reports/?range=7d`, WIDTH);
  await page.setViewportSize({ width: WIDTH, height: HEIGHT });
  await page.locator('[data-testid="funnel-report"]').waitFor({ timeout: 120_000 });
  await page.waitForLoadState('networkidle');
  mkdirSync(fileURLToPath(new URL('.', `file://${OUT}`)), { recursive: true });
  await page.screenshot({ path: OUT });
  console.log(`wrote ${OUT}`);
} finally {
  await browser.close();
  await server.stop();
}
