/**
 * The four reports on PostgreSQL: the same response objects as the SQLite path (api/routes/reports.ts), built by the
 * same pure shaping code from the rows of this folder's queries.
 */
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { shapeApiHealth } from '../api-health.ts';
import { shapeDocs } from '../docs.ts';
import { stalledAt } from '../flags-query.ts';
import { assembleFunnelReport, detectFunnelFlags, previousPeriod, stepEvidence, type FunnelReport, type StepEvidence } from '../funnel-report.ts';
import type { FunnelRun } from '../funnel-query.ts';
import type { FunnelParams, Range, TtfsiParams } from '../params.ts';
import { createTtfsiCollector, type TtfsiReport } from '../ttfsi.ts';
import { loadApiHealthDataPg } from './api-health-query.ts';
import { helpfulRatesPg, loadDocsDataPg } from './docs-query.ts';
import { stalledErrorsPg, stalledLastPagesPg } from './flags-query.ts';
import { runFunnelPeriodsPg } from './funnel-query.ts';
import { streamTtfsiPg } from './ttfsi-query.ts';

/** `GET /api/v1/reports/funnel` on PostgreSQL: see {@link funnelReport}. */
export async function funnelReportPg(db: OnrampPgDb, p: FunnelParams): Promise<FunnelReport> {
  const base = { steps: p.steps, windowMs: p.windowMs, order: p.order };
  const [current, previous] = (await runFunnelPeriodsPg(db, { ...base, from: p.from, to: p.to, breakdown: p.breakdown }, [previousPeriod(p.from, p.to)])) as [
    FunnelRun,
    FunnelRun,
  ];
  const { steps, detected } = detectFunnelFlags(p, current, previous);
  const flagged = [...new Set(detected.map((f) => f.step))];
  const evidence = await Promise.all(
    flagged.map(async (k): Promise<[number, StepEvidence]> => {
      const stalled = stalledAt(current.stalls, k);
      const [pages, errors] = await Promise.all([stalledLastPagesPg(db, p, stalled), stalledErrorsPg(db, p, stalled)]);
      const rates = await helpfulRatesPg(db, p, pages.map((x) => x.path));
      return [k, stepEvidence(errors, pages, rates)];
    }),
  );
  return assembleFunnelReport(p, current, steps, detected, new Map(evidence));
}

/** `GET /api/v1/reports/ttfsi` on PostgreSQL. */
export async function ttfsiReportPg(db: OnrampPgDb, p: TtfsiParams): Promise<TtfsiReport> {
  const collector = createTtfsiCollector(p.to);
  await streamTtfsiPg(db, p, collector.add);
  return collector.result();
}

/** `GET /api/v1/reports/docs` on PostgreSQL. */
export async function docsReportPg(db: OnrampPgDb, range: Range) {
  return shapeDocs(await loadDocsDataPg(db, range));
}

/** `GET /api/v1/reports/api-health` on PostgreSQL. */
export async function apiHealthReportPg(db: OnrampPgDb, range: Range) {
  return shapeApiHealth(await loadApiHealthDataPg(db, range));
}
