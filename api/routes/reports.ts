import { Hono } from 'hono';
import { parseSeriesParams } from '../analytics/api-traffic/series-params.ts';
import type { PropertyFilter } from '../analytics/contract.ts';
import { parseFunnelParams, parseFunnelPersonsParams, parseFunnelTimeToConvertParams, parseFunnelTrendParams } from '../analytics/funnel-params.ts';
import { parseDocTrendParams, parseRangeParams, parseTtfsiParams } from '../analytics/params.ts';
import type { ReportStore } from '../storage/types.ts';

/**
 * `/api/v1/reports/*` (admin-protected in app.ts). Each handler validates its query (400 naming the parameter)
 * and answers with its report, built by the same shaping code on either database. `testAccountFilters` is
 * ONRAMP_TEST_ACCOUNT_FILTERS, applied by the funnel routes when `filterTestAccounts=true`.
 */
export function reportsRoutes(deps: {
  reports: ReportStore;
  now?: () => number;
  testAccountFilters?: PropertyFilter[] | undefined;
  apiSlo?: number | undefined;
}) {
  const { reports } = deps;
  const now = deps.now ?? Date.now;
  const settings = { testAccountFilters: deps.testAccountFilters };
  const app = new Hono({ strict: false });

  app.get('/funnel', async (c) => c.json(await reports.funnel(parseFunnelParams(c.req.query(), now(), settings))));
  app.get('/funnel/persons', async (c) => c.json(await reports.funnelPersons(parseFunnelPersonsParams(c.req.query(), now(), settings))));
  app.get('/funnel/trend', async (c) => c.json(await reports.funnelTrend(parseFunnelTrendParams(c.req.query(), now(), settings))));
  app.get('/funnel/time-to-convert', async (c) => c.json(await reports.funnelTimeToConvert(parseFunnelTimeToConvertParams(c.req.query(), now(), settings))));
  app.get('/ttfsi', async (c) => c.json(await reports.ttfsi(parseTtfsiParams(c.req.query(), now()))));
  app.get('/docs/trend', async (c) => c.json(await reports.docTrend(parseDocTrendParams(c.req.query(), now()))));
  app.get('/docs', async (c) => c.json(await reports.docs(parseRangeParams(c.req.query(), now()))));
  app.get('/api-health/series', async (c) => c.json(await reports.apiHealthSeries(parseSeriesParams(c.req.query(), now()))));
  app.get('/api-health', async (c) => c.json(await reports.apiHealth(parseRangeParams(c.req.query(), now()), { slo: deps.apiSlo })));

  return app;
}
