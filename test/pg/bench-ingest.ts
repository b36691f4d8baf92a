/**
 * Ingest throughput of the logged path on both dialects: 20k events written as 200 requests of 100 (up to 20 in
 * flight, as concurrent SDKs), then settle() applies the log; prints events/s for each phase. Run:
 * `npx tsx test/pg/bench-ingest.ts` (a throwaway PostgreSQL cluster is started; fsync is off there, as in the tests,
 * and the SQLite file runs with the server's pragmas). Not a test: nothing is asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPgEventWriter } from '../../api/ingest/pg/writer.ts';
import { validateCapture, type NormalizedEvent } from '../../api/ingest/validate.ts';
import { createEventWriter } from '../../api/ingest/writer.ts';
import { openDb } from '../../db/client.ts';
import { openPgDb } from '../../db/client-pg.ts';
import { PROJECT_TOKEN } from '../support/app.ts';
import { startPostgres } from '../support/postgres.ts';

const EVENTS = 20_000;
const PER_REQUEST = 100;
const IN_FLIGHT = 20;

/** Realistic requests: 2,000 users, mostly pageviews and API calls, some $set and identify. */
function requests(): NormalizedEvent[][] {
  const out: NormalizedEvent[][] = [];
  for (let r = 0; r < EVENTS / PER_REQUEST; r += 1) {
    const batch = Array.from({ length: PER_REQUEST }, (_, i) => {
      const n = r * PER_REQUEST + i;
      const user = `user-${n % 2_000}`;
      const properties: Record<string, unknown> = { $current_url: `https://docs.example.com/page/${n % 50}`, $pathname: `/page/${n % 50}`, $browser: 'Firefox' };
      if (n % 50 === 0) return { event: '$identify', distinct_id: user, properties: { ...properties, $anon_distinct_id: `anon-${n % 2_000}` } };
      if (n % 10 === 0) return { event: '$set', distinct_id: user, $set: { plan: n % 3 ? 'free' : 'pro', seen: n } };
      if (n % 3 === 0) return { event: 'api_call', distinct_id: user, properties: { status: n % 17 ? 200 : 500, endpoint: '/v1/messages', duration_ms: n % 300 } };
      return { event: '$pageview', distinct_id: n % 4 ? user : `anon-${n % 2_000}`, properties };
    });
    out.push(validateCapture({ api_key: PROJECT_TOKEN, batch }, { projectToken: PROJECT_TOKEN }));
  }
  return out;
}

async function run(name: string, writer: { write: (e: NormalizedEvent[]) => Promise<void>; settle: () => Promise<void> }) {
  const all = requests();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < all.length) await writer.write(all[next++]!);
    }),
  );
  const written = performance.now();
  await writer.settle();
  const settled = performance.now();
  const rate = (ms: number) => Math.round(EVENTS / (ms / 1000)).toLocaleString('en');
  console.log(
    `${name.padEnd(10)} write ${rate(written - started)} events/s (${Math.round(written - started)} ms), ` +
      `settle ${rate(settled - written)} events/s (${Math.round(settled - written)} ms), write+settle ${rate(settled - started)} events/s`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'onramp-bench-'));
const sqlite = openDb(join(dir, 'bench.db'));
const sqliteWriter = createEventWriter(sqlite.$client, { logged: true });
await run('SQLite', sqliteWriter);
sqliteWriter.close();
sqlite.$client.close();
rmSync(dir, { recursive: true, force: true });

const postgres = await startPostgres();
try {
  const db = await openPgDb(await postgres.createDatabase());
  const pgWriter = createPgEventWriter(db);
  await run('PostgreSQL', pgWriter);
  await pgWriter.close();
  await db.close();
} finally {
  await postgres.stop();
}
