import type { OnrampPgDb } from '../../../db/client-pg.ts';
import type { DeliveryResult } from '../deliver.ts';
import { deliveryFromRow, type DeliveryRecord, type DeliveryRow } from '../runner.ts';

/** Columns of `alert_deliveries` in the shape of {@link DeliveryRow}: bigint id and times cast to numbers. */
const DELIVERY_COLUMNS = `id::float8 AS id, rule_id, condition, status, attempts, response_status, error, payload,
  created_at::float8 AS created_at, finished_at::float8 AS finished_at`;

/** PostgreSQL twin of api/alerts/runner.ts `createDeliveryStore`: the same methods and records, async. */
export function createPgDeliveryStore(db: OnrampPgDb) {
  const pool = db.$client;
  return {
    /** Stores a delivery about to be attempted; returns its id. `payloadJson` is kept byte for byte (a text column). */
    async insertPending(ruleId: string, condition: string, payloadJson: string, createdAt: number): Promise<number> {
      const { rows } = await pool.query<{ id: number }>(
        `INSERT INTO alert_deliveries (rule_id, condition, status, attempts, payload, created_at) VALUES ($1, $2, 'pending', 0, $3, $4) RETURNING id::float8 AS id`,
        [ruleId, condition, payloadJson, createdAt],
      );
      return rows[0]!.id;
    },
    /** Records the outcome of delivery `id` and returns the finished record. */
    async finish(id: number, result: DeliveryResult, finishedAt: number): Promise<DeliveryRecord> {
      const { rows } = await pool.query<DeliveryRow>(
        `UPDATE alert_deliveries SET status = $1, attempts = $2, response_status = $3, error = $4, finished_at = $5 WHERE id = $6 RETURNING ${DELIVERY_COLUMNS}`,
        [result.status, result.attempts, result.responseStatus, result.error, finishedAt, id],
      );
      if (!rows[0]) throw new Error(`alert delivery ${id} does not exist (its rule was deleted meanwhile?)`);
      return deliveryFromRow(rows[0]);
    },
    /** The newest `limit` deliveries of a rule, newest first. */
    async list(ruleId: string, limit = 100): Promise<DeliveryRecord[]> {
      const { rows } = await pool.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM alert_deliveries WHERE rule_id = $1 ORDER BY id DESC LIMIT $2`, [ruleId, limit]);
      return rows.map(deliveryFromRow);
    },
  };
}

export type PgDeliveryStore = ReturnType<typeof createPgDeliveryStore>;
