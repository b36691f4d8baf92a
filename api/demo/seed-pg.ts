import type { OnrampPgDb } from '../../db/client-pg.ts';
import { INGEST_APPLY_LOCK_KEY } from '../ingest/pg/processor.ts';
import { writePgEvents } from '../ingest/pg/store.ts';
import { generateDemoEvents, type DemoOptions, type DemoSummary } from './seed.ts';

/** Events per statement batch: the demo is ~40k events, and one huge identity chunk would hold a lot of memory. */
const SEED_CHUNK = 5_000;

/**
 * PostgreSQL twin of `seedDemoIfEmpty`: the same generated history through the PostgreSQL ingest store, in one
 * transaction that holds the ingest apply lock. Instances starting together on an empty database take turns, and
 * only the first finds it empty (nothing in `events` or the ingest log), so the demo is loaded once.
 */
export async function seedDemoIfEmptyPg(db: OnrampPgDb, options: DemoOptions = {}): Promise<DemoSummary | undefined> {
  const client = await db.$client.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [INGEST_APPLY_LOCK_KEY]);
      const { rows } = await client.query('SELECT 1 FROM events UNION ALL SELECT 1 FROM ingest_log LIMIT 1');
      if (rows.length > 0) {
        await client.query('ROLLBACK');
        return undefined;
      }
      const { events, summary } = generateDemoEvents(options);
      for (let i = 0; i < events.length; i += SEED_CHUNK) await writePgEvents(client, [events.slice(i, i + SEED_CHUNK)]);
      const counted = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM persons');
      await client.query('COMMIT');
      return { ...summary, events: events.length, persons: Number(counted.rows[0]!.n) };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}
