import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Suites that run a second time with every test app on PostgreSQL (`postgres` project): they talk to the app over
 * HTTP only, so the same assertions hold on both backends. The files under test/pg start their own PostgreSQL and
 * compare the dialects directly.
 */
const ON_BOTH_BACKENDS = [
  'test/alerts/alerts.test.ts',
  'test/alerts/storage.test.ts',
  'test/alerts/webhook-ssrf.test.ts',
  'test/analytics/api-traffic.test.ts',
  'test/analytics/api-traffic-totals.test.ts',
  'test/analytics/dataset.test.ts',
  'test/analytics/docs-comments-state.test.ts',
  'test/analytics/docs-state.test.ts',
  'test/analytics/explore-routes.test.ts',
  'test/analytics/funnel-exclusions.test.ts',
  'test/analytics/funnel-fixtures.test.ts',
  'test/analytics/funnel-posthog-cases.test.ts',
  'test/analytics/funnel-property.test.ts',
  'test/analytics/funnel-rules.test.ts',
  'test/analytics/funnel-views.test.ts',
  'test/analytics/person-state-evidence.test.ts',
  'test/analytics/person-state-failed-calls.test.ts',
  'test/analytics/person-state.test.ts',
  'test/analytics/person-state-pageview.test.ts',
  'test/analytics/person-state-warm.test.ts',
  'test/analytics/previous-period.test.ts',
  'test/analytics/read-limits.test.ts',
  'test/analytics/reports.test.ts',
  'test/analytics/routes.test.ts',
  'test/capture-bad-input.test.ts',
  'test/capture-http.test.ts',
  'test/capture-event-limits.test.ts',
  'test/capture-posthog-node.test.ts',
  'test/capture-server-token.test.ts',
  'test/capture-shapes.test.ts',
  'test/demo/server.test.ts',
  'test/fuzz/routes.test.ts',
  'test/import/dialects.test.ts',
  'test/fuzz/server.test.ts',
  'test/ingest-writer.test.ts',
  'test/limits/body-limits.test.ts',
  'test/portal/accounts.test.ts',
  'test/portal/events.test.ts',
  'test/portal/keys.test.ts',
  'test/reports-ui/admin-session.test.ts',
  'test/portal/sandbox.test.ts',
  'test/portal/store.test.ts',
  'test/portal/trust.test.ts',
  'test/reliability/crash.test.ts',
  'test/reliability/injection.test.ts',
  'test/reliability/overload.test.ts',
  'test/reliability/secrets.test.ts',
  'test/reliability/security-headers.test.ts',
  'test/server-token.test.ts',
  'test/storage/sql.case.test.ts',
];

/**
 * The Chromium walks of portal, reports and alerts against a PostgreSQL-backed server: about a minute and a half,
 * so they run in `npm run test:slow` (ONRAMP_TEST_PG_BROWSER=1), which `.ci/run` runs after `npm test`.
 */
const BROWSER_ON_POSTGRES = ['test/e2e/alerts-ui.test.ts', 'test/e2e/portal-walk.test.ts', 'test/e2e/reports.test.ts'];

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One temp directory per run, removed at the end (test/support/temp-root.ts).
    globalSetup: ['test/support/temp-root.ts'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'] } },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: process.env.ONRAMP_TEST_PG_BROWSER === '1' ? [...ON_BOTH_BACKENDS, ...BROWSER_ON_POSTGRES] : ON_BOTH_BACKENDS,
          env: { ONRAMP_TEST_DIALECT: 'postgres' },
          globalSetup: ['test/support/pg-global-setup.ts'],
        },
      },
    ],
  },
});
