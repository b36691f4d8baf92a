/**
 * The reports on one database, SQLite or PostgreSQL: the same SQL text (with the dialect's fragments) and the
 * same shaping code, so both backends answer alike.
 */
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { ReportStore } from '../storage/types.ts';
import { DEFAULT_API_SLO, shapeApiHealth } from './api-health.ts';
import { loadApiHealthData } from './api-health-query.ts';
import { apiHealthSeries } from './api-traffic/series.ts';
import { loadCatalog } from './catalog-query.ts';
import { docsReport } from './docs-report.ts';
import { loadDocTrend } from './docs-trend.ts';
import { funnelReport } from './funnel-report.ts';
import { funnelPersons, funnelTimeToConvert, funnelTrend } from './funnel-views.ts';
import { loadPersonJourney } from './person-query.ts';
import { stateFlagEvidence } from './person-state/evidence.ts';
import { personStateReports } from './person-state/reports.ts';
import { ttfsiReport } from './ttfsi-report.ts';

/**
 * The report store of `database`; the storage of either dialect (api/storage) hands it out as `reports`.
 *
 * @example
 * const report = await createReportStore(sqliteDatabase(db.$client)).funnel(parseFunnelParams({}));
 */
export function createReportStore(database: SqlDatabase): ReportStore {
  // The funnel and TTFSI read each person's onboarding state from memory when it can answer them, docs (page views
  // and votes) and the flags' helpful rates always.
  const state = personStateReports(database);
  // The flags' evidence reads each stalled person's kept call facts and last page from memory.
  const evidence = stateFlagEvidence(database);
  return {
    funnel: (params) => funnelReport(database, params, state.funnel, evidence, state.votes),
    funnelPersons: (params) => funnelPersons(database, params, state.funnel),
    funnelTrend: (params) => funnelTrend(database, params, state.funnel),
    funnelTimeToConvert: (params) => funnelTimeToConvert(database, params, state.funnel),
    ttfsi: (params) => ttfsiReport(database, params, state.ttfsi),
    docs: (range) => docsReport(database, range, state.docs, state.votes),
    docTrend: (params) => loadDocTrend(database, params),
    apiHealth: async (range, options) => shapeApiHealth(await loadApiHealthData(database, range), options?.slo ?? DEFAULT_API_SLO),
    apiHealthSeries: (params) => apiHealthSeries(database, params),
    catalog: (range) => loadCatalog(database, range),
    person: (personId, now) => loadPersonJourney(database, personId, now),
    async warm() {
      await state.warm();
      await evidence.warm();
    },
  };
}
