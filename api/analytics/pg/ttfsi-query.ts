/**
 * PostgreSQL side of time to first successful integration: the `(start, seconds)` rows of
 * api/analytics/ttfsi-query.ts, streamed through a cursor.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import { FIRST_SUCCESSFUL_CALL, type TtfsiParams } from '../params.ts';
import type { TtfsiRow } from '../ttfsi-query.ts';
import { streamPgRows } from './query.ts';
import { FIRST_SUCCESS, firstSuccessOf } from './sql.ts';

/**
 * Same rows as {@link streamTtfsi}. `seconds` divides in double precision, as SQLite's `/ 1000.0` does, so both
 * give the same number bit for bit.
 */
export async function streamTtfsiPg(db: OnrampPgDb, p: TtfsiParams, onRow: (row: TtfsiRow) => void): Promise<void> {
  const starts: SQL =
    p.start === FIRST_SUCCESSFUL_CALL
      ? sql`SELECT pid, ts AS st FROM (${FIRST_SUCCESS}) f WHERE ts BETWEEN ${p.from} AND ${p.to}`
      : sql`SELECT person_id AS pid, MIN(timestamp) AS st FROM events WHERE event = ${p.start} AND timestamp BETWEEN ${p.from} AND ${p.to} GROUP BY person_id`;
  const end: SQL =
    p.end === FIRST_SUCCESSFUL_CALL
      ? sql`(SELECT fs FROM (SELECT ${firstSuccessOf('s.pid')} AS fs) f WHERE fs >= s.st AND fs <= ${p.to})`
      : sql`(SELECT MIN(timestamp) FROM events WHERE event = ${p.end} AND person_id = s.pid AND timestamp >= s.st AND timestamp <= ${p.to})`;
  await streamPgRows<TtfsiRow>(db, sql`SELECT s.st AS start, (${end} - s.st)::float8 / 1000 AS seconds FROM (${starts}) s`, onRow);
}
