/**
 * Each person's first successful call (`person_call_facts.first_success_at`), as the in-memory copies of the state
 * (snapshot.ts, page-view-snapshot.ts) read it: all of them in person order, or those of some persons.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';

type SuccessRow = { person_id: unknown; first_success_at: unknown };

/** Every person with a successful call, ascending by id, with its time. */
export async function allFirstSuccesses(database: SqlDatabase, batch: number): Promise<{ pids: number[]; times: number[] }> {
  const pids: number[] = [];
  const times: number[] = [];
  for await (const rows of database.stream<SuccessRow>(
    sql`SELECT person_id, first_success_at FROM person_call_facts WHERE first_success_at IS NOT NULL ORDER BY person_id`,
    batch,
  )) {
    for (const row of rows) {
      pids.push(Number(row.person_id));
      times.push(Number(row.first_success_at));
    }
  }
  return { pids, times };
}

/** The first successful call of each person of `keys` (a bound list of `pid`) that has one, by person id. */
export async function firstSuccessesOf(database: SqlDatabase, keys: SQL): Promise<Map<number, number>> {
  const rows = await database.all<SuccessRow>(
    sql`SELECT f.person_id AS person_id, f.first_success_at AS first_success_at FROM ${keys} AS k
        JOIN person_call_facts f ON f.person_id = k.pid WHERE f.first_success_at IS NOT NULL`,
  );
  return new Map(rows.map((row) => [Number(row.person_id), Number(row.first_success_at)]));
}
