import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { funnelReportPg, ttfsiReportPg } from '../../analytics/pg/reports.ts';
import type { AlertStorage } from '../storage.ts';
import { createPgDeliveryStore } from './deliveries.ts';
import { createPgRuleStore } from './rules.ts';

/** Alert storage on PostgreSQL (see api/alerts/storage.ts `AlertStorage`): the pg rule and delivery stores and reports. */
export function pgAlertStorage(db: OnrampPgDb): AlertStorage {
  return {
    rules: createPgRuleStore(db),
    deliveries: createPgDeliveryStore(db),
    reports: { funnel: (params) => funnelReportPg(db, params), ttfsi: (params) => ttfsiReportPg(db, params) },
  };
}
