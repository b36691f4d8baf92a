/**
 * Rebuilds the rollups and per-person call facts from the raw `api_call` rows still stored: for a database written
 * before the rollups existed (run once at start when calls exist but no rollup does), and for benchmarks that write
 * `events` directly. Calls deleted past their retention cannot be rebuilt, which is why the rollups are kept.
 */
import { sql } from 'drizzle-orm';
import { runSteps } from '../../ingest/steps.ts';
import { parseJsonColumn, type SqlDatabase } from '../../storage/sql/interface.ts';
import type { AppliedCall } from './applied-call.ts';
import { classifyCall } from './call.ts';
import { updateCallFacts } from './fact-writes.ts';
import { addCallRollups } from './rollup-writes.ts';

/** Raw calls folded per transaction. */
const BATCH = 20_000;

/** Clears and rebuilds every rollup and call fact from the stored raw calls; returns the number of calls read. */
export async function rebuildCallTraffic(database: SqlDatabase): Promise<number> {
  await database.transaction(async (tx) => {
    await tx.run(sql`DELETE FROM api_call_rollups`);
    await tx.run(sql`DELETE FROM api_call_totals`);
    await tx.run(sql`DELETE FROM person_call_facts`);
    await tx.run(sql`DELETE FROM first_call_failures`);
  });
  let after = 0;
  let total = 0;
  for (;;) {
    const rows = await database.all<{ id: unknown; person_id: unknown; timestamp: unknown; properties: unknown }>(
      sql`SELECT id, person_id, timestamp, properties FROM events WHERE event = 'api_call' AND id > ${after} ORDER BY id LIMIT ${BATCH}`,
    );
    if (rows.length === 0) return total;
    const calls: AppliedCall[] = rows.map((r) => ({
      personId: Number(r.person_id),
      timestamp: Number(r.timestamp),
      ...classifyCall(parseJsonColumn<Record<string, unknown>>(r.properties)),
    }));
    await database.transaction(async (tx) => {
      await runSteps(tx, addCallRollups(calls));
      await runSteps(tx, updateCallFacts(calls, []));
    });
    after = Number(rows.at(-1)!.id);
    total += rows.length;
  }
}

/** Rebuilds only when raw calls exist and no rollup does (a database from before the rollups); returns calls read. */
export async function rebuildCallTrafficIfMissing(database: SqlDatabase): Promise<number> {
  const rollup = await database.get(sql`SELECT 1 AS one FROM api_call_rollups LIMIT 1`);
  if (rollup) return 0;
  const call = await database.get(sql`SELECT 1 AS one FROM events WHERE event = 'api_call' LIMIT 1`);
  return call ? rebuildCallTraffic(database) : 0;
}
