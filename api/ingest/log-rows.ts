/**
 * Choosing and applying ingest-log rows for one apply transaction (api/ingest/log-processor.ts), in either scope: the
 * whole log under the exclusive apply lock, or one partition's events under that partition's lock
 * (api/ingest/apply-partitions.ts).
 */
import { sql } from 'drizzle-orm';
import type { Row, SqlDatabase } from '../storage/sql/interface.ts';
import { allPartitions, INGEST_COMMIT_LOCK, partitionOf, pendingEvents } from './apply-partitions.ts';
import { eventsOfLogRow } from './raw-log.ts';
import { inList, MAX_IN_LIST, padded, slices } from './steps.ts';
import { writeEvents } from './store.ts';
import type { NormalizedEvent } from './validate.ts';

/** One ingest-log row as an apply reads it. */
export interface LogRow extends Row {
  id: number;
  event_count: number;
  body: Uint8Array;
  capture: string;
  /** Mask of the partitions whose events in the row are still to apply. */
  partitions: number;
  /** Nonzero when the row holds an identity link. */
  links: number;
}

/**
 * What one apply transaction covers: every pending event of the oldest rows (`partition` undefined: the exclusive
 * apply lock is held), or one partition's events of the oldest rows without a link that come before every row with
 * one (that partition's lock is held, and the apply lock shared).
 */
export interface ApplyScope {
  partitions: number;
  partition?: number;
  /** The events of a row (a processor keeps the rows it decoded, which its other partitions need again). */
  decode: (row: LogRow) => NormalizedEvent[];
}

/** Rows a processor keeps decoded: a few chunks' worth, so its next partitions find them. */
const DECODED_ROWS_KEPT = 32;

/**
 * Decodes rows, keeping the last {@link DECODED_ROWS_KEPT}: with partitions, each row is applied by several
 * transactions, each needing its events. Rows never change and their ids are never reused (PostgreSQL identity).
 */
export function rowDecoder(keep: boolean): (row: LogRow) => NormalizedEvent[] {
  if (!keep) return eventsOfLogRow;
  const decoded = new Map<number, NormalizedEvent[]>();
  return (row) => {
    let events = decoded.get(row.id);
    if (!events) {
      events = eventsOfLogRow(row);
      decoded.set(row.id, events);
      if (decoded.size > DECODED_ROWS_KEPT) decoded.delete(decoded.keys().next().value!);
    }
    return events;
  };
}

/** How many partitions a mask holds. */
function bitCount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n += 1;
  return n;
}

/** The rows' columns as an apply reads them. */
const ROW_COLUMNS = sql`id, event_count, body, capture, partitions, links`;

/** The rows of a scope: every pending row, or a partition's rows without a link before the oldest row with one. */
function inScope(scope: ApplyScope, ofPartition = true) {
  if (scope.partition === undefined) return sql`error IS NULL`;
  const beforeLinks = sql`error IS NULL AND links = 0
             AND id < COALESCE((SELECT MIN(id) FROM ingest_log WHERE links <> 0 AND error IS NULL), ${Number.MAX_SAFE_INTEGER})`;
  return ofPartition ? sql`${beforeLinks} AND (partitions & ${2 ** scope.partition}) <> 0` : beforeLinks;
}

const normalized = (row: LogRow): LogRow => ({ ...row, id: Number(row.id), partitions: Number(row.partitions), links: Number(row.links) });

/**
 * The oldest rows of the scope (up to `upToId`) of about `maxEvents` events, at least one row, bodies included.
 * Sizes first, bodies after: a row can hold hundreds of KB, so only the rows a chunk takes are read whole.
 */
export async function oldestRows(tx: SqlDatabase, scope: ApplyScope, maxEvents: number, upToId: number): Promise<LogRow[]> {
  const sizes = await tx.all<{ id: number; event_count: number; partitions: number }>(
    sql`SELECT id, event_count, partitions FROM ingest_log WHERE ${inScope(scope)} AND id <= ${upToId} ORDER BY id LIMIT ${Math.max(1, Math.ceil(maxEvents / 10))}`,
  );
  const chosen = new Set<number>();
  let events = 0;
  const all = allPartitions(scope.partitions);
  for (const row of sizes) {
    // A partition's share of a row, estimated as an even split between the partitions it holds.
    const count = scope.partition === undefined ? row.event_count : Math.ceil(row.event_count / Math.max(1, bitCount(Number(row.partitions) & all)));
    if (chosen.size > 0 && events + count > maxEvents) break;
    chosen.add(Number(row.id));
    events += count;
  }
  if (chosen.size === 0) return [];
  const ids = [...chosen];
  // On PostgreSQL a row with a smaller id can become visible meanwhile (ids are not commit order): it is left for
  // the next chunk, so the rows applied are exactly the ones chosen.
  const rows = await tx.all<LogRow>(
    sql`SELECT ${ROW_COLUMNS} FROM ingest_log WHERE id BETWEEN ${ids[0]!} AND ${ids.at(-1)!} AND ${inScope(scope)} ORDER BY id`,
  );
  return rows.map(normalized).filter((row) => chosen.has(row.id));
}

/**
 * Events of the rows without a link before the oldest row with one (up to `upToId`): what partitions could apply side
 * by side now. A row some partitions of which are applied counts whole.
 */
export async function linkFreeEvents(database: SqlDatabase, partitions: number, upToId: number): Promise<number> {
  const row = await database.get<{ n: unknown }>(
    sql`SELECT COALESCE(SUM(event_count), 0) AS n FROM ingest_log WHERE ${inScope({ partitions, partition: 0, decode: eventsOfLogRow }, false)} AND id <= ${upToId}`,
  );
  return Number(row?.n ?? 0);
}

/** The row `id` again, if it is still pending in the scope (another applier may have taken it meanwhile). */
export async function rowAgain(tx: SqlDatabase, scope: ApplyScope, id: number): Promise<LogRow | undefined> {
  const rows = await tx.all<LogRow>(sql`SELECT ${ROW_COLUMNS} FROM ingest_log WHERE id = ${id} AND ${inScope(scope)}`);
  return rows[0] && normalized(rows[0]);
}

/** The events of `row` the scope applies: its pending ones, or the partition's. */
function eventsInScope(row: LogRow, scope: ApplyScope) {
  const events = scope.decode(row);
  const { partition, partitions } = scope;
  if (partition === undefined) return pendingEvents(events, row.partitions, partitions);
  return events.filter((event) => partitionOf(event.distinctId, partitions) === partition);
}

/**
 * Stores the scope's events of `rows` and takes them off the log, in the caller's transaction: deletes the rows
 * (exclusive scope), or clears the partition's bit and deletes the rows left with none, under the commit lock. Returns
 * the events applied.
 */
export async function applyRows(tx: SqlDatabase, rows: ReadonlyArray<LogRow>, scope: ApplyScope): Promise<number> {
  const batches = rows.map((row) => eventsInScope(row, scope));
  await writeEvents(tx, batches, scope.partition !== undefined);
  const ids = rows.map((row) => row.id);
  if (scope.partition === undefined) {
    for (const some of slices(ids, MAX_IN_LIST)) {
      const list = padded(some);
      await tx.repeated({ key: `ingest-log-delete:${list.length}`, query: () => sql`DELETE FROM ingest_log WHERE id IN ${inList(list)}`, values: list }, false);
    }
  } else {
    // Other partitions' appliers update the same rows: one at a time, each on the row as the last one left it.
    await tx.run(tx.fragments.waitForLock(INGEST_COMMIT_LOCK));
    const rest = ~(2 ** scope.partition);
    for (const some of slices(ids, MAX_IN_LIST)) {
      await tx.run(sql`UPDATE ingest_log SET partitions = partitions & ${rest} WHERE id IN ${inList(some)}`);
      await tx.run(sql`DELETE FROM ingest_log WHERE id IN ${inList(some)} AND (partitions & ${allPartitions(scope.partitions)}) = 0`);
    }
  }
  return batches.reduce((n, batch) => n + batch.length, 0);
}

/** Sets a row that failed on its own aside (kept with its error, never deleted); 0 when it is gone already. */
export async function setAside(tx: SqlDatabase, row: LogRow, err: unknown): Promise<number> {
  const message = String((err as Error)?.message ?? err).slice(0, 500);
  await tx.run(tx.fragments.waitForLock(INGEST_COMMIT_LOCK));
  const changed = await tx.run(sql`UPDATE ingest_log SET error = ${message} WHERE id = ${row.id} AND error IS NULL`);
  if (changed === 0) return 0;
  console.error(`[onramp] ingest log row ${row.id} (${row.event_count} events) could not be applied and was set aside: ${message}`);
  return row.event_count;
}
