import type { Database } from 'better-sqlite3';
import type { z } from 'zod';
import { funnelReport, type FunnelReport } from '../analytics/funnel-report.ts';
import type { FunnelParams, TtfsiParams } from '../analytics/params.ts';
import { createTtfsiCollector, type TtfsiReport } from '../analytics/ttfsi.ts';
import { streamTtfsi } from '../analytics/ttfsi-query.ts';
import type { DeliveryResult } from './deliver.ts';
import { createRuleStore, type AlertRule, type createRuleSchema, type updateRuleSchema } from './rules.ts';
import { createDeliveryStore, type DeliveryRecord } from './runner.ts';

/** Alert rules, as api/alerts/rules.ts `createRuleStore` and api/alerts/pg/rules.ts `createPgRuleStore` keep them. */
export interface AlertRuleStorage {
  list(): Promise<AlertRule[]>;
  get(id: string): Promise<AlertRule | undefined>;
  create(input: z.output<typeof createRuleSchema>, now: number): Promise<AlertRule>;
  /** Applies a patch; `undefined` when there is no such rule. Throws a 400 for a trigger step past the last step. */
  update(id: string, patch: z.output<typeof updateRuleSchema>, now: number): Promise<AlertRule | undefined>;
  delete(id: string): Promise<boolean>;
  /** Enabled rules whose next check is due at `now`, oldest due first. */
  due(now: number): Promise<AlertRule[]>;
  /** Takes a due check for the caller; among instances sharing the database exactly one gets `true`. */
  claim(rule: AlertRule, now: number): Promise<boolean>;
  setActiveConditions(id: string, keys: string[]): Promise<void>;
  /**
   * Marks condition `key` of rule `id` alerted unless it already is; among concurrent callers on any instance, exactly
   * one gets `true` (and sends the webhook).
   */
  claimCondition(id: string, key: string): Promise<boolean>;
  /** Un-marks conditions taken by {@link claimCondition} whose webhook could not be delivered. */
  releaseConditions(id: string, keys: string[]): Promise<void>;
  /** Stores the outcome of a check run at `checkedAt`: un-marks the keys it saw clear, and sets `lastRunAt`. */
  recordCheck(id: string, clearedKeys: string[], checkedAt: number): Promise<void>;
}

/** The webhook delivery log. */
export interface AlertDeliveryStorage {
  /** Stores a delivery about to be attempted; returns its id. */
  insertPending(ruleId: string, condition: string, payloadJson: string, createdAt: number): Promise<number>;
  /** Records the outcome of delivery `id` and returns the finished record. */
  finish(id: number, result: DeliveryResult, finishedAt: number): Promise<DeliveryRecord>;
  /** The newest `limit` deliveries of a rule, newest first. */
  list(ruleId: string, limit?: number): Promise<DeliveryRecord[]>;
}

/** The reports alert rules evaluate: the same numbers as `GET /api/v1/reports/funnel` and `/ttfsi`. */
export interface AlertReports {
  funnel(params: FunnelParams): Promise<FunnelReport>;
  ttfsi(params: TtfsiParams): Promise<TtfsiReport>;
}

/**
 * Everything the alert runner and routes read and write, on either database: see {@link sqliteAlertStorage} and
 * api/alerts/pg/storage.ts `pgAlertStorage`.
 */
export interface AlertStorage {
  rules: AlertRuleStorage;
  deliveries: AlertDeliveryStorage;
  reports: AlertReports;
}

/**
 * Alert storage on SQLite: the synchronous stores and reports behind the async interface. A SQLite call runs to
 * completion before its promise is returned, so the claim stays atomic across instances on one file.
 */
export function sqliteAlertStorage(sqlite: Database): AlertStorage {
  const rules = createRuleStore(sqlite);
  const deliveries = createDeliveryStore(sqlite);
  return {
    rules: {
      list: async () => rules.list(),
      get: async (id) => rules.get(id),
      create: async (input, now) => rules.create(input, now),
      update: async (id, patch, now) => rules.update(id, patch, now),
      delete: async (id) => rules.delete(id),
      due: async (now) => rules.due(now),
      claim: async (rule, now) => rules.claim(rule, now),
      setActiveConditions: async (id, keys) => rules.setActiveConditions(id, keys),
      claimCondition: async (id, key) => rules.claimCondition(id, key),
      releaseConditions: async (id, keys) => rules.releaseConditions(id, keys),
      recordCheck: async (id, clearedKeys, checkedAt) => rules.recordCheck(id, clearedKeys, checkedAt),
    },
    deliveries: {
      insertPending: async (ruleId, condition, payloadJson, createdAt) => deliveries.insertPending(ruleId, condition, payloadJson, createdAt),
      finish: async (id, result, finishedAt) => deliveries.finish(id, result, finishedAt),
      list: async (ruleId, limit) => deliveries.list(ruleId, limit),
    },
    reports: {
      funnel: async (params) => funnelReport(sqlite, params),
      ttfsi: async (params) => {
        const collector = createTtfsiCollector(params.to);
        streamTtfsi(sqlite, params, collector.add);
        return collector.result();
      },
    },
  };
}
