import { type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { SqlDatabase } from '../storage/sql/interface.ts';
import {
  type AlertRule,
  type createRuleSchema,
  INTERVAL_MS,
  newRule,
  patchedRule,
  type RuleRow,
  ruleFromRow,
  ruleToRow,
  type updateRuleSchema,
} from './rules.ts';

/** Alert rules as the runner and routes use them, on either database (see {@link createRuleStore}). */
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

/** The stored columns of a rule, in the order of {@link ruleValues}. */
const RULE_COLUMNS = sql.raw(
  `id, name, steps, "window", "range", "interval", trigger_kind, threshold, trigger_step, webhook_url, enabled, active_conditions, next_run_at, last_run_at, created_at, updated_at`,
);

/** A rule's bound column values, in the order of {@link RULE_COLUMNS}. */
function ruleValues(rule: AlertRule) {
  const r = ruleToRow(rule);
  return sql`${r.id}, ${r.name}, ${r.steps}, ${r.window}, ${r.range}, ${r.interval}, ${r.trigger_kind}, ${r.threshold}, ${r.trigger_step},
    ${r.webhook_url}, ${r.enabled}, ${r.active_conditions}, ${r.next_run_at}, ${r.last_run_at}, ${r.created_at}, ${r.updated_at}`;
}

const ACTIVE = sql.raw('alert_rules.active_conditions');

/**
 * Alert rule storage on SQLite or PostgreSQL: one SQL text for both, the JSON array edits and the row lock coming
 * from the dialect's fragments. Ids look like `alr_<16 hex>`. Every cross-instance guarantee is one conditional
 * UPDATE (a check claimed, a condition taken), so any number of instances may share the database.
 */
export function createRuleStore(database: SqlDatabase): AlertRuleStorage {
  const f = database.fragments;
  const rules = async (query: SQL) => (await database.all<RuleRow>(query)).map(ruleFromRow);
  const byId = (id: string) => sql`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = ${id}`;

  return {
    async create(input, now) {
      const rule = newRule(input, now);
      await database.run(sql`INSERT INTO alert_rules (${RULE_COLUMNS}) VALUES (${ruleValues(rule)})`);
      return rule;
    },
    async get(id) {
      return (await rules(byId(id)))[0];
    },
    list: () => rules(sql`SELECT ${RULE_COLUMNS} FROM alert_rules ORDER BY created_at, id`),
    /**
     * The row is locked while it is read and rewritten, so a concurrent patch, claim or condition taken on another
     * instance applies before or after this one instead of being overwritten by it.
     */
    update: (id, patch, now) =>
      database.transaction(async (tx) => {
        const row = await tx.get<RuleRow>(sql`${byId(id)} ${f.forUpdate}`);
        if (!row) return undefined;
        const next = patchedRule(ruleFromRow(row), patch, now);
        const r = ruleToRow(next);
        // last_run_at and created_at are not the patch's to change.
        await tx.run(
          sql`UPDATE alert_rules SET name = ${r.name}, steps = ${r.steps}, "window" = ${r.window}, "range" = ${r.range}, "interval" = ${r.interval},
            trigger_kind = ${r.trigger_kind}, threshold = ${r.threshold}, trigger_step = ${r.trigger_step}, webhook_url = ${r.webhook_url},
            enabled = ${r.enabled}, active_conditions = ${r.active_conditions}, next_run_at = ${r.next_run_at}, updated_at = ${r.updated_at}
          WHERE id = ${id}`,
        );
        return next;
      }),
    async delete(id) {
      return (await database.run(sql`DELETE FROM alert_rules WHERE id = ${id}`)) === 1;
    },
    due: (now) => rules(sql`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE enabled = ${true} AND next_run_at <= ${now} ORDER BY next_run_at`),
    /**
     * Moves `next_run_at` forward only if it is still due. Concurrent UPDATEs of the row take turns (and PostgreSQL
     * re-checks the WHERE against the committed row), so exactly one instance gets `true` and fires the check.
     */
    async claim(rule, now) {
      const changed = await database.run(
        sql`UPDATE alert_rules SET next_run_at = ${now + INTERVAL_MS[rule.interval]}, last_run_at = ${now}
          WHERE id = ${rule.id} AND enabled = ${true} AND next_run_at <= ${now}`,
      );
      return changed === 1;
    },
    async setActiveConditions(id, keys) {
      await database.run(sql`UPDATE alert_rules SET active_conditions = ${JSON.stringify(keys)} WHERE id = ${id}`);
    },
    /** A check takes each new condition this way before its webhook, so a check of the same rule elsewhere skips it. */
    async claimCondition(id, key) {
      const changed = await database.run(
        sql`UPDATE alert_rules SET active_conditions = ${f.jsonArrayAppend(ACTIVE, key)} WHERE id = ${id} AND NOT ${f.jsonArrayIncludes(ACTIVE, key)}`,
      );
      return changed === 1;
    },
    async releaseConditions(id, keys) {
      await database.run(sql`UPDATE alert_rules SET active_conditions = ${f.jsonArrayRemove(ACTIVE, keys)} WHERE id = ${id}`);
    },
    async recordCheck(id, clearedKeys, checkedAt) {
      // last_run_at never moves back: a slow manual check may finish after a later scheduled one started.
      await database.run(
        sql`UPDATE alert_rules SET active_conditions = ${f.jsonArrayRemove(ACTIVE, clearedKeys)},
          last_run_at = CASE WHEN last_run_at IS NULL OR last_run_at < ${checkedAt} THEN CAST(${checkedAt} AS bigint) ELSE last_run_at END
        WHERE id = ${id}`,
      );
    },
  };
}
