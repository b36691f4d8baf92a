/**
 * The reports on one database, SQLite or PostgreSQL: the same SQL text (with the dialect's fragments) and the
 * same shaping code, so both backends answer alike.
 */
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { ReportStore } from '../storage/types.ts';
import { DEFAULT_API_SLO, shapeApiHealth } from './api-health.ts';
import { loadApiHealthData } from './api-health-query.ts';
import { apiHealthSeries } from './api-traffic/series.ts';
import { docsReport } from './docs-report.ts';
import { loadDocTrend } from './docs-trend.ts';
import { funnelReport } from './funnel-report.ts';
import { funnelPersons, funnelTimeToConvert, funnelTrend } from './funnel-views.ts';
import { ttfsiReport } from './ttfsi-report.ts';

/**
 * The report store of `database`; the storage of either dialect (api/storage) hands it out as `reports`.
 *
 * @example
 * const report = await createReportStore(sqliteDatabase(db.$client)).funnel(parseFunnelParams({}));
 */
export function createReportStore(database: SqlDatabase): ReportStore {
  return {
    funnel: (params) => funnelReport(database, params),
    funnelPersons: (params) => funnelPersons(database, params),
    funnelTrend: (params) => funnelTrend(database, params),
    funnelTimeToConvert: (params) => funnelTimeToConvert(database, params),
    ttfsi: (params) => ttfsiReport(database, params),
    docs: (range) => docsReport(database, range),
    docTrend: (params) => loadDocTrend(database, params),
    apiHealth: async (range, options) => shapeApiHealth(await loadApiHealthData(database, range), options?.slo ?? DEFAULT_API_SLO),
    apiHealthSeries: (params) => apiHealthSeries(database, params),
  };
}
