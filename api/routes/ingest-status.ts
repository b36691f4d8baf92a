import { Hono } from 'hono';
import type { IngestWriter } from '../storage/types.ts';

/**
 * `GET /api/v1/ingest/status` (admin): how far `events` is behind capture. `backlogEvents` are acknowledged and
 * durable in the ingest log but not applied yet (every report applies them before answering); `failedLogRows` are
 * log rows set aside because they could not be applied, kept for inspection; `queuedEvents` wait for a commit.
 */
export function ingestStatusRoutes(deps: { writer: IngestWriter }) {
  const app = new Hono({ strict: false });
  app.get('/status', (c) =>
    c.json({ backlogEvents: deps.writer.backlogEvents, failedLogRows: deps.writer.failedLogRows, queuedEvents: deps.writer.queuedEvents }),
  );
  return app;
}
