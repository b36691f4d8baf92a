import type { z } from 'zod';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import {
  INTERVAL_MS,
  newRule,
  patchedRule,
  ruleFromRow,
  ruleToRow,
  type AlertRule,
  type createRuleSchema,
  type RuleRow,
  type updateRuleSchema,
} from '../rules.ts';

/**
 * Columns of `alert_rules` in the shape of {@link RuleRow}: bigint times come back from node-postgres as strings
 * and `enabled` as a boolean, so both are cast here (epoch ms fit a float8 exactly).
 */
const RULE_COLUMNS = `id, name, steps, "window", "range", "interval", trigger_kind, threshold, trigger_step, webhook_url,
  enabled::int AS enabled, active_conditions, next_run_at::float8 AS next_run_at, last_run_at::float8 AS last_run_at,
  created_at::float8 AS created_at, updated_at::float8 AS updated_at`;

/** Milliseconds to the next check of rule row `r`, in SQL, from the same table as {@link INTERVAL_MS}. */
const INTERVAL_SQL = `CASE r."interval" ${Object.entries(INTERVAL_MS)
  .map(([name, ms]) => `WHEN '${name}' THEN ${ms}`)
  .join(' ')} END`;

/** The positional parameters of a rule's row, in the column order of the INSERT below. */
function rowParams(rule: AlertRule) {
  const r = ruleToRow(rule);
  return [
    r.id, r.name, r.steps, r.window, r.range, r.interval, r.trigger_kind, r.threshold, r.trigger_step, r.webhook_url,
    r.enabled === 1, r.active_conditions, r.next_run_at, r.last_run_at, r.created_at, r.updated_at,
  ];
}

/**
 * PostgreSQL twin of api/alerts/rules.ts `createRuleStore`: the same methods and results, async. `claimDue` is the
 * scheduler's entry point on several instances: one statement that takes every due check for the caller.
 */
export function createPgRuleStore(db: OnrampPgDb) {
  const pool = db.$client;
  const rows = async (text: string, values: unknown[]) => (await pool.query<RuleRow>(text, values)).rows.map(ruleFromRow);

  return {
    async create(input: z.output<typeof createRuleSchema>, now: number): Promise<AlertRule> {
      const rule = newRule(input, now);
      await pool.query(
        `INSERT INTO alert_rules (id, name, steps, "window", "range", "interval", trigger_kind, threshold, trigger_step, webhook_url, enabled,
           active_conditions, next_run_at, last_run_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        rowParams(rule),
      );
      return rule;
    },
    async get(id: string): Promise<AlertRule | undefined> {
      return (await rows(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = $1`, [id]))[0];
    },
    async list(): Promise<AlertRule[]> {
      return rows(`SELECT ${RULE_COLUMNS} FROM alert_rules ORDER BY created_at, id`, []);
    },
    /**
     * Applies a patch (see api/alerts/rules.ts `patchedRule`). The row is locked while it is read and rewritten, so
     * a concurrent patch on another instance applies on top of this one instead of being overwritten by it.
     */
    async update(id: string, patch: z.output<typeof updateRuleSchema>, now: number): Promise<AlertRule | undefined> {
      const client = await pool.connect();
      // Set when the connection's state is unknown (ROLLBACK failed): the pool then discards it instead of reusing it.
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const current = (await client.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = $1 FOR UPDATE`, [id])).rows.map(ruleFromRow)[0];
        if (!current) {
          await client.query('ROLLBACK');
          return undefined;
        }
        const next = patchedRule(current, patch, now);
        const p = rowParams(next);
        // Like the SQLite store: last_run_at and created_at are not the patch's to change.
        await client.query(
          `UPDATE alert_rules SET name = $2, steps = $3, "window" = $4, "range" = $5, "interval" = $6, trigger_kind = $7, threshold = $8,
             trigger_step = $9, webhook_url = $10, enabled = $11, active_conditions = $12, next_run_at = $13, updated_at = $14
           WHERE id = $1`,
          [p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[15]],
        );
        await client.query('COMMIT');
        return next;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async delete(id: string): Promise<boolean> {
      return (await pool.query('DELETE FROM alert_rules WHERE id = $1', [id])).rowCount === 1;
    },
    async due(now: number): Promise<AlertRule[]> {
      return rows(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at`, [now]);
    },
    /**
     * Takes this check for the caller: moves `next_run_at` forward only if it is still due. A concurrent UPDATE of
     * the same row waits for the first to commit and then re-checks the WHERE against the new row, so exactly one
     * instance gets `true`.
     */
    async claim(rule: AlertRule, now: number): Promise<boolean> {
      const result = await pool.query('UPDATE alert_rules SET next_run_at = $1, last_run_at = $2 WHERE id = $3 AND enabled AND next_run_at <= $2', [
        now + INTERVAL_MS[rule.interval],
        now,
        rule.id,
      ]);
      return result.rowCount === 1;
    },
    /**
     * Claims every check due at `now` in one statement and returns the claimed rules as they were before the claim
     * (as `due` would list them), oldest due first. Rows another instance is claiming at this moment are skipped
     * rather than waited for: that instance fires them. Each due check is returned to exactly one caller.
     */
    async claimDue(now: number): Promise<AlertRule[]> {
      const { rows: claimed } = await pool.query<RuleRow>(
        `WITH due AS (
           SELECT ${RULE_COLUMNS} FROM alert_rules WHERE enabled AND next_run_at <= $1::bigint ORDER BY next_run_at FOR UPDATE SKIP LOCKED
         ), taken AS (
           UPDATE alert_rules r SET next_run_at = $1::bigint + ${INTERVAL_SQL}, last_run_at = $1::bigint FROM due WHERE r.id = due.id RETURNING r.id
         )
         SELECT due.* FROM due JOIN taken USING (id) ORDER BY due.next_run_at, due.id`,
        [now],
      );
      return claimed.map(ruleFromRow);
    },
    async setActiveConditions(id: string, keys: string[]): Promise<void> {
      await pool.query('UPDATE alert_rules SET active_conditions = $1 WHERE id = $2', [JSON.stringify(keys), id]);
    },
    /**
     * Marks condition `key` alerted unless it already is. Concurrent UPDATEs of the row take turns and re-check the
     * WHERE against the committed row, so exactly one caller (on any instance) gets `true`.
     */
    async claimCondition(id: string, key: string): Promise<boolean> {
      const result = await pool.query(
        'UPDATE alert_rules SET active_conditions = (active_conditions::jsonb || jsonb_build_array($2::text))::text WHERE id = $1 AND NOT (active_conditions::jsonb ? $2)',
        [id, key],
      );
      return result.rowCount === 1;
    },
    async releaseConditions(id: string, keys: string[]): Promise<void> {
      await pool.query('UPDATE alert_rules SET active_conditions = (active_conditions::jsonb - $2::text[])::text WHERE id = $1', [id, keys]);
    },
    /** Stores the outcome of a check run at `checkedAt` (scheduled or manual): the keys it saw clear, and `lastRunAt`. */
    async recordCheck(id: string, clearedKeys: string[], checkedAt: number): Promise<void> {
      // GREATEST ignores a NULL last_run_at, and keeps it from moving back when a slow manual check finishes late.
      await pool.query(
        'UPDATE alert_rules SET active_conditions = (active_conditions::jsonb - $1::text[])::text, last_run_at = GREATEST(last_run_at, $2::bigint) WHERE id = $3',
        [clearedKeys, checkedAt, id],
      );
    },
  };
}

export type PgRuleStore = ReturnType<typeof createPgRuleStore>;
