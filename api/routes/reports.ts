import { Hono } from 'hono';
import type { OnrampDb } from '../../db/client.ts';
import { shapeApiHealth } from '../analytics/api-health.ts';
import { loadApiHealthData } from '../analytics/api-health-query.ts';
import { shapeDocs } from '../analytics/docs.ts';
import { loadDocsData } from '../analytics/docs-query.ts';
import { funnelReport } from '../analytics/funnel-report.ts';
import { parseFunnelParams, parseRangeParams, parseTtfsiParams } from '../analytics/params.ts';
import { createTtfsiCollector } from '../analytics/ttfsi.ts';
import { streamTtfsi } from '../analytics/ttfsi-query.ts';

/**
 * `/api/v1/reports/*` (admin-protected in app.ts). Each handler validates its query (400 naming the parameter),
 * runs its query file and returns the shaped JSON. Reports are read-only and synchronous on the shared connection,
 * so they see one consistent snapshot per statement.
 */
export function reportsRoutes(deps: { db: OnrampDb; now?: () => number }) {
  const sqlite = deps.db.$client;
  const now = deps.now ?? Date.now;
  const app = new Hono({ strict: false });

  app.get('/funnel', (c) => c.json(funnelReport(sqlite, parseFunnelParams(c.req.query(), now()))));

  app.get('/ttfsi', (c) => {
    const params = parseTtfsiParams(c.req.query(), now());
    const collector = createTtfsiCollector(params.to);
    streamTtfsi(sqlite, params, collector.add);
    return c.json(collector.result());
  });

  app.get('/docs', (c) => c.json(shapeDocs(loadDocsData(sqlite, parseRangeParams(c.req.query(), now())))));

  app.get('/api-health', (c) => c.json(shapeApiHealth(loadApiHealthData(sqlite, parseRangeParams(c.req.query(), now())))));

  return app;
}
