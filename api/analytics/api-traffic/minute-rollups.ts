/**
 * Minute rollups are kept `ONRAMP_API_CALL_MINUTE_DAYS` days (default 7; 0 keeps them forever): past that, the hour
 * and day rows carry the same counts and sketches, and minute rows were most of the rollups' bytes. The start of
 * the minutes still kept is a watermark in `settings`, raised before any row under it is deleted, so a report reads
 * the watermark and knows which minutes it may use without depending on this instance's settings.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { DAY_MS } from '../params.ts';
import { HOUR_MS, MINUTE_MS } from './rollup-writes.ts';

/** `settings` key of the watermark: minute rows exist for every bucket at or after it (epoch ms, whole hours). */
const MINUTE_FLOOR_SETTING = 'api_call_minute_rollups_from';
/**
 * Rows are deleted only this far below the watermark, so a report that read the previous watermark just before a
 * sweep raised it still finds every minute it reads.
 */
const DELETE_GRACE_MS = DAY_MS;
/** Minute buckets deleted per statement (an hour: a few thousand rows at most), so no delete holds the writer long. */
const BUCKETS_PER_DELETE = 60;

/** Pause between two deletes, so reports and applying the log interleave with a sweep of many minutes. */
const PAUSE_MS = 20;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deletes the minute rows of `api_call_rollups` of up to {@link BUCKETS_PER_DELETE} buckets under `below`. */
const deleteEndpointMinutes = (below: number): SQL =>
  sql`DELETE FROM api_call_rollups WHERE span = ${MINUTE_MS} AND bucket_start IN (
        SELECT DISTINCT bucket_start FROM api_call_rollups WHERE span = ${MINUTE_MS} AND bucket_start < ${below} ORDER BY bucket_start LIMIT ${BUCKETS_PER_DELETE})`;

/** The minute rows of `api_call_totals` (one per bucket) of as many buckets. */
const deleteTotalsMinutes = (below: number): SQL =>
  sql`DELETE FROM api_call_totals WHERE span = ${MINUTE_MS} AND bucket_start IN (
        SELECT bucket_start FROM api_call_totals WHERE span = ${MINUTE_MS} AND bucket_start < ${below} ORDER BY bucket_start LIMIT ${BUCKETS_PER_DELETE})`;

/** The watermark for `days` at `now`: the whole hour at or before `now − days`; undefined when kept forever. */
export function minuteFloorFor(days: number, now: number): number | undefined {
  return days > 0 ? Math.floor((now - days * DAY_MS) / HOUR_MS) * HOUR_MS : undefined;
}

/** The start of the minute rows kept (a whole hour), or undefined when every minute row is kept. */
export async function readMinuteFloor(database: SqlDatabase): Promise<number | undefined> {
  const row = await database.get<{ value: string }>(sql`SELECT value FROM settings WHERE key = ${MINUTE_FLOOR_SETTING}`);
  return row ? Number(row.value) : undefined;
}

/**
 * Raises the watermark to `floor` (never lowers it), then deletes minute rows far enough below it from both rollup
 * tables, batch by batch with a pause between (`pauseMs`, default 20), as raw calls are deleted.
 */
export async function retireMinuteRollups(
  database: SqlDatabase,
  floor: number,
  options: { now?: number; stopped?: () => boolean; pauseMs?: number } = {},
): Promise<number> {
  const current = await readMinuteFloor(database);
  if (current === undefined || floor > current) {
    await database.run(
      sql`INSERT INTO settings (key, value, created_at) VALUES (${MINUTE_FLOOR_SETTING}, ${String(floor)}, ${options.now ?? Date.now()})
          ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    );
  }
  const below = Math.max(floor, current ?? floor) - DELETE_GRACE_MS;
  let total = 0;
  for (const deleteBatch of [deleteEndpointMinutes, deleteTotalsMinutes]) {
    while (!options.stopped?.()) {
      const deleted = await database.run(deleteBatch(below));
      total += deleted;
      if (deleted === 0) break;
      await pause(options.pauseMs ?? PAUSE_MS);
    }
  }
  return total;
}
