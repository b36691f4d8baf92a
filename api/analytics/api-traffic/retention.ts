/**
 * Retention of raw `api_call` rows (`ONRAMP_API_CALL_RAW_DAYS`, default 30; 0 keeps them forever) and of minute
 * rollups (`ONRAMP_API_CALL_MINUTE_DAYS`, api-traffic/minute-rollups.ts). The rollups and per-person call facts
 * already hold everything the reports read, so older raw calls only cost disk and index upkeep. A background job deletes them in small batches with a pause between, so capture (which only appends to
 * the ingest log) and applying the log never wait for a long delete.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { DAY_MS } from '../params.ts';
import { minuteFloorFor, retireMinuteRollups } from './minute-rollups.ts';

/** Raw calls deleted per statement: a few milliseconds of work on either dialect. */
export const RETENTION_BATCH = 500;
/** Pause between two batches, so other work on the database interleaves. */
const PAUSE_MS = 20;
/** How often the job looks for calls that aged out. */
const SWEEP_EVERY_MS = 10 * 60_000;

/** The instant before which raw calls are deleted, or undefined when they are kept forever (`days` 0). */
export function rawCallCutoff(days: number, now: number): number | undefined {
  return days > 0 ? now - days * DAY_MS : undefined;
}

/** How long raw calls and minute rollups are kept, in days (0: forever). */
export interface CallRetentionDays {
  raw: number;
  minutes: number;
}

/** The line start-up prints about the retention in force. */
export function retentionNotice(days: CallRetentionDays): string {
  const raw =
    days.raw > 0
      ? `raw api_call rows are kept ${days.raw} days (ONRAMP_API_CALL_RAW_DAYS), then counted in the rollups only`
      : 'raw api_call rows are kept forever (ONRAMP_API_CALL_RAW_DAYS=0)';
  const minutes =
    days.minutes > 0
      ? `minute rollups ${days.minutes} days (ONRAMP_API_CALL_MINUTE_DAYS), then hours and days only`
      : 'minute rollups forever (ONRAMP_API_CALL_MINUTE_DAYS=0)';
  return `[onramp] ${raw}; ${minutes}`;
}

/** Deletes one batch of raw calls older than `cutoff`; resolves to how many it deleted. */
export function deleteOldCallsBatch(database: SqlDatabase, cutoff: number, batch = RETENTION_BATCH): Promise<number> {
  return database.run(
    sql`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE event = 'api_call' AND timestamp < ${cutoff} ORDER BY timestamp LIMIT ${batch})`,
  );
}

/** Raw calls older than `cutoff`, optionally only those stored after event id `afterId` (what an import added). */
export async function countOldCalls(database: SqlDatabase, cutoff: number, afterId = 0): Promise<number> {
  const row = await database.get<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM events WHERE event = 'api_call' AND timestamp < ${cutoff} AND id > ${afterId}`);
  return Number(row?.n ?? 0);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deletes every raw call older than `cutoff`, batch by batch with a pause between; resolves to the number deleted. */
export async function deleteOldCalls(database: SqlDatabase, cutoff: number, options: { pauseMs?: number; stopped?: () => boolean } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    if (options.stopped?.()) return total;
    const deleted = await deleteOldCallsBatch(database, cutoff);
    total += deleted;
    if (deleted < RETENTION_BATCH) return total;
    await pause(options.pauseMs ?? PAUSE_MS);
  }
}

/** One sweep: raw calls past their retention, then minute rollups past theirs; resolves to the rows deleted. */
async function sweepOnce(database: SqlDatabase, days: CallRetentionDays, now: number, stopped: () => boolean): Promise<number> {
  const cutoff = rawCallCutoff(days.raw, now);
  const calls = cutoff === undefined ? 0 : await deleteOldCalls(database, cutoff, { stopped });
  const floor = minuteFloorFor(days.minutes, now);
  return calls + (floor === undefined || stopped() ? 0 : await retireMinuteRollups(database, floor, { now, stopped }));
}

/**
 * Starts the background retention job: a sweep now and every ten minutes. `stop()` ends it after the batch in
 * flight and resolves once that batch is done.
 */
export function startCallRetention(database: SqlDatabase, days: CallRetentionDays, now: () => number = Date.now) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    if (stopped) return;
    running = sweepOnce(database, days, now(), () => stopped)
      .catch((err) => console.error(`[onramp] deleting api_call rows past retention failed (${(err as Error).message}); retried at the next sweep`))
      .finally(() => {
        if (!stopped) timer = setTimeout(sweep, SWEEP_EVERY_MS).unref();
      });
  };
  if (days.raw > 0 || days.minutes > 0) sweep();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
