import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import type { DeliveryResult } from './deliver.ts';

/** One webhook delivery as the API lists it (`GET /api/v1/alerts/:id/deliveries`). */
export interface DeliveryRecord {
  id: number;
  ruleId: string;
  condition: string;
  status: 'pending' | DeliveryResult['status'];
  attempts: number;
  responseStatus: number | null;
  error: string | null;
  payload: unknown;
  createdAt: string;
  finishedAt: string | null;
}

/** The webhook delivery log, on either database (see {@link createDeliveryStore}). */
export interface AlertDeliveryStorage {
  /** Stores a delivery about to be attempted; returns its id. `payloadJson` is kept byte for byte (a text column). */
  insertPending(ruleId: string, condition: string, payloadJson: string, createdAt: number): Promise<number>;
  /** Records the outcome of delivery `id` and returns the finished record; throws when the row is gone (rule deleted). */
  finish(id: number, result: DeliveryResult, finishedAt: number): Promise<DeliveryRecord>;
  /** The newest `limit` deliveries of a rule, newest first. */
  list(ruleId: string, limit?: number): Promise<DeliveryRecord[]>;
}

/** A row of `alert_deliveries`: payload as JSON text, times in epoch ms (numbers on both dialects). */
interface DeliveryRow extends Record<string, unknown> {
  id: number;
  rule_id: string;
  condition: string;
  status: DeliveryRecord['status'];
  attempts: number;
  response_status: number | null;
  error: string | null;
  payload: string;
  created_at: number;
  finished_at: number | null;
}

const DELIVERY_COLUMNS = sql.raw('id, rule_id, condition, status, attempts, response_status, error, payload, created_at, finished_at');

function deliveryFromRow(r: DeliveryRow): DeliveryRecord {
  return {
    id: r.id,
    ruleId: r.rule_id,
    condition: r.condition,
    status: r.status,
    attempts: r.attempts,
    responseStatus: r.response_status,
    error: r.error,
    payload: JSON.parse(r.payload) as unknown,
    createdAt: new Date(r.created_at).toISOString(),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
  };
}

/** Records of webhook deliveries on SQLite or PostgreSQL: a pending row before the attempt, finished with its outcome after it. */
export function createDeliveryStore(database: SqlDatabase): AlertDeliveryStorage {
  return {
    async insertPending(ruleId, condition, payloadJson, createdAt) {
      const row = await database.get<{ id: number }>(
        sql`INSERT INTO alert_deliveries (rule_id, condition, status, attempts, payload, created_at)
          VALUES (${ruleId}, ${condition}, 'pending', 0, ${payloadJson}, ${createdAt}) RETURNING id`,
      );
      return row!.id;
    },
    async finish(id, result, finishedAt) {
      const row = await database.get<DeliveryRow>(
        sql`UPDATE alert_deliveries SET status = ${result.status}, attempts = ${result.attempts}, response_status = ${result.responseStatus},
          error = ${result.error}, finished_at = ${finishedAt} WHERE id = ${id} RETURNING ${DELIVERY_COLUMNS}`,
      );
      if (!row) throw new Error(`alert delivery ${id} does not exist (its rule was deleted meanwhile?)`);
      return deliveryFromRow(row);
    },
    async list(ruleId, limit = 100) {
      const rows = await database.all<DeliveryRow>(
        sql`SELECT ${DELIVERY_COLUMNS} FROM alert_deliveries WHERE rule_id = ${ruleId} ORDER BY id DESC LIMIT ${limit}`,
      );
      return rows.map(deliveryFromRow);
    },
  };
}
