import type { OnrampPgDb } from '../../db/client-pg.ts';
import { withApplyLock } from '../ingest/pg/processor.ts';
import { writeEvents } from '../ingest/store.ts';
import { generateDemoEvents, type DemoOptions, type DemoSummary } from './seed.ts';

/** Events per statement batch: the demo is ~50k events, and one huge identity chunk would hold a lot of memory. */
const SEED_CHUNK = 5_000;

/**
 * PostgreSQL twin of `seedDemoIfEmpty`: the same generated history through the PostgreSQL ingest store, in one
 * transaction that holds the ingest apply lock. Instances starting together on an empty database take turns, and
 * only the first finds it empty (nothing in `events` or the ingest log), so the demo is loaded once.
 */
export async function seedDemoIfEmptyPg(db: OnrampPgDb, options: DemoOptions = {}): Promise<DemoSummary | undefined> {
  const result = await withApplyLock(db.$client, async (client, database) => {
    const { rows } = await client.query('SELECT 1 FROM events UNION ALL SELECT 1 FROM ingest_log LIMIT 1');
    if (rows.length > 0) return undefined;
    const { events, summary } = generateDemoEvents(options);
    for (let i = 0; i < events.length; i += SEED_CHUNK) await writeEvents(database, [events.slice(i, i + SEED_CHUNK)]);
    const counted = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM persons');
    return { ...summary, events: events.length, persons: Number(counted.rows[0]!.n) };
  });
  return result === 'busy' ? undefined : result;
}
