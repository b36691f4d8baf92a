/**
 * The reports on one database, SQLite or PostgreSQL: the same SQL text (with the dialect's fragments) and the
 * same shaping code, so both backends answer alike.
 */
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { ReportStore } from '../storage/types.ts';
import { shapeApiHealth } from './api-health.ts';
import { loadApiHealthData } from './api-health-query.ts';
import { loadCatalog } from './catalog-query.ts';
import { shapeDocs } from './docs.ts';
import { loadDocsData } from './docs-query.ts';
import { funnelReport } from './funnel-report.ts';
import { funnelPersons, funnelTimeToConvert, funnelTrend } from './funnel-views.ts';
import { loadPersonJourney } from './person-query.ts';
import { createTtfsiCollector } from './ttfsi.ts';
import { streamTtfsi } from './ttfsi-query.ts';

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
    ttfsi: async (params) => {
      const collector = createTtfsiCollector(params.to);
      await streamTtfsi(database, params, collector.add);
      return collector.result();
    },
    docs: async (range) => shapeDocs(await loadDocsData(database, range)),
    apiHealth: async (range) => shapeApiHealth(await loadApiHealthData(database, range)),
    catalog: (range) => loadCatalog(database, range),
    person: (personId, now) => loadPersonJourney(database, personId, now),
  };
}
