import { Hono } from 'hono';
import { parseSeriesParams } from '../analytics/api-traffic/series-params.ts';
import { parseFunnelParams, parseRangeParams, parseTtfsiParams } from '../analytics/params.ts';
import type { ReportStore } from '../storage/types.ts';

/**
 * `/api/v1/reports/*` (admin-protected in app.ts). Each handler validates its query (400 naming the parameter)
 * and answers with its report, built by the same shaping code on either database.
 */
export function reportsRoutes(deps: { reports: ReportStore; now?: () => number; apiSlo?: number | undefined }) {
  const { reports } = deps;
  const now = deps.now ?? Date.now;
  const app = new Hono({ strict: false });

  app.get('/funnel', async (c) => c.json(await reports.funnel(parseFunnelParams(c.req.query(), now()))));
  app.get('/ttfsi', async (c) => c.json(await reports.ttfsi(parseTtfsiParams(c.req.query(), now()))));
  app.get('/docs', async (c) => c.json(await reports.docs(parseRangeParams(c.req.query(), now()))));
  app.get('/api-health/series', async (c) => c.json(await reports.apiHealthSeries(parseSeriesParams(c.req.query(), now()))));
  app.get('/api-health', async (c) => c.json(await reports.apiHealth(parseRangeParams(c.req.query(), now()), { slo: deps.apiSlo })));

  return app;
}
