import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { ReportStore } from '../storage/types.ts';
import { type AlertDeliveryStorage, createDeliveryStore } from './delivery-store.ts';
import { type AlertRuleStorage, createRuleStore } from './rule-store.ts';

export type { AlertDeliveryStorage } from './delivery-store.ts';
export type { AlertRuleStorage } from './rule-store.ts';

/** The reports alert rules evaluate: the same numbers as `GET /api/v1/reports/funnel` and `/ttfsi`. */
export type AlertReports = Pick<ReportStore, 'funnel' | 'ttfsi'>;

/** Everything the alert runner and routes read and write, on either database: see {@link alertStorage}. */
export interface AlertStorage {
  rules: AlertRuleStorage;
  deliveries: AlertDeliveryStorage;
  reports: AlertReports;
}

/**
 * Alert storage on `database`, SQLite or PostgreSQL alike. `reports` are the storage's own funnel and TTFSI reports,
 * so an alert always matches the report its message links to.
 *
 * @example
 * const alerts = alertStorage(database, storage.reports);
 */
export function alertStorage(database: SqlDatabase, reports: AlertReports): AlertStorage {
  return { rules: createRuleStore(database), deliveries: createDeliveryStore(database), reports };
}
