/**
 * The doc votes' copy (person-state/votes.ts) reads a patch's persons through the per-person index, keys first: on
 * SQLite a plain join let the planner scan every `doc_feedback` row once per key.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { voteRows } from '../../api/analytics/person-state/votes.ts';
import { testDatabase } from '../support/app.ts';

describe.runIf(testDatabase().dialect === 'sqlite')('doc votes query plan', () => {
  const planOf = async (keys?: [number][]) => {
    const database = testDatabase();
    const query = voteRows(database, keys && database.fragments.boundRows(keys, [['pid', 'integer']]));
    const plan = await database.all<{ detail: string }>(sql`EXPLAIN QUERY PLAN ${query}`);
    return plan.map((step) => step.detail);
  };

  it('reads a patch through the keys, then each person in the per-person index', async () => {
    const plan = await planOf([[1], [2], [3]]);
    expect(plan[0]).toMatch(/json_each/);
    expect(plan[1]).toMatch(/events_event_person_timestamp \(event=\? AND person_id=\?\)/);
  });

  it('streams the whole load in person order, without a sort', async () => {
    const plan = await planOf();
    expect(plan.join('\n')).toMatch(/events_event_person_timestamp/);
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
  });
});
