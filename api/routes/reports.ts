import { Hono } from 'hono';
import { parseCatalogParams, parseFunnelParams, parsePersonParams, parseRangeParams, parseTtfsiParams } from '../analytics/params.ts';
import { ApiError } from '../errors.ts';
import type { ReportStore } from '../storage/types.ts';

/**
 * `/api/v1/reports/*` (admin-protected in app.ts). Each handler validates its query (400 naming the parameter)
 * and answers with its report, built by the same shaping code on either database.
 */
export function reportsRoutes(deps: { reports: ReportStore; now?: () => number }) {
  const { reports } = deps;
  const now = deps.now ?? Date.now;
  const app = new Hono({ strict: false });

  app.get('/funnel', async (c) => c.json(await reports.funnel(parseFunnelParams(c.req.query(), now()))));
  app.get('/ttfsi', async (c) => c.json(await reports.ttfsi(parseTtfsiParams(c.req.query(), now()))));
  app.get('/docs', async (c) => c.json(await reports.docs(parseRangeParams(c.req.query(), now()))));
  app.get('/api-health', async (c) => c.json(await reports.apiHealth(parseRangeParams(c.req.query(), now()))));
  app.get('/catalog', async (c) => c.json(await reports.catalog(parseCatalogParams(c.req.query(), now()))));
  app.get('/person', async (c) => {
    const journey = await reports.person(parsePersonParams(c.req.query()), now());
    if (!journey) throw new ApiError(404, 'person_not_found', 'id: no person has this id');
    return c.json(journey);
  });

  return app;
}
