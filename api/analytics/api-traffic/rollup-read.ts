/**
 * Reads `api_call_rollups` for a time range, written once for both dialects. A range is widened to whole minutes
 * (the finest bucket) and covered by the coarsest buckets that fit: whole days inside it, whole hours at its edges,
 * minutes for the rest, so thirty days read about 30 day buckets plus at most 46 hours and 118 minutes per key
 * (whole hours instead of minutes at an edge older than the minute rows kept).
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { HOUR_MS, MINUTE_MS, SPANS } from './rollup-writes.ts';

/** A stretch of buckets of one width: `[from, to)`, both multiples of `span`. */
export interface BucketPiece {
  span: number;
  from: number;
  to: number;
}

/** The minute-aligned half-open range `[from, to)` that an inclusive millisecond range `[from, to]` touches. */
export function wholeMinutes(range: { from: number; to: number }): { from: number; to: number } {
  return { from: Math.floor(range.from / MINUTE_MS) * MINUTE_MS, to: Math.floor(range.to / MINUTE_MS) * MINUTE_MS + MINUTE_MS };
}

/** Covers the minute-aligned `[from, to)` with the fewest buckets from `level` down: coarse in the middle, finer at the edges. */
function coverLevels(from: number, to: number, level: number): BucketPiece[] {
  if (from >= to) return [];
  const span = SPANS[level]!;
  if (level === 0) return [{ span, from, to }];
  const start = Math.ceil(from / span) * span;
  const end = Math.floor(to / span) * span;
  if (start >= end) return coverLevels(from, to, level - 1);
  return [...coverLevels(from, start, level - 1), { span, from: start, to: end }, ...coverLevels(end, to, level - 1)];
}

/**
 * Covers the minute-aligned `[from, to)` with the fewest buckets: whole days, then whole hours, then minutes at the
 * ragged edges. `minuteFloor` (a whole hour) is where the minute rows kept start (api-traffic/minute-rollups.ts): an
 * edge before it widens to the whole hour holding it, since its minutes are gone.
 */
export function coverRange(from: number, to: number, minuteFloor?: number): BucketPiece[] {
  const before = (t: number) => minuteFloor !== undefined && t < minuteFloor;
  const start = before(from) ? Math.floor(from / HOUR_MS) * HOUR_MS : from;
  const end = before(to) ? Math.ceil(to / HOUR_MS) * HOUR_MS : to;
  return coverLevels(start, end, SPANS.length - 1);
}

/** What the sums of rollup rows need (api-traffic/health-summary.ts). */
export interface RollupSums {
  status: number;
  flags: number;
  calls: number;
  /** One stored sketch, or several laid end to end. */
  sketch: Uint8Array;
}

/** The rows of one bucket, status and flags summed: what the series reads. */
export interface RollupCounts extends RollupSums {
  bucketStart: number;
}

/** The rows of one key summed over a whole range: what API health reads. */
export interface RollupRow extends RollupSums {
  endpoint: string;
  method: string;
  code: string;
}

type Stored = { status: unknown; flags: unknown; calls: unknown; sketch: Uint8Array };

/** The WHERE clause selecting the rows of `pieces`, optionally of one endpoint only. */
function rowsOf(pieces: readonly BucketPiece[], endpoint: string | undefined): SQL {
  const where: SQL = sql.join(
    pieces.map((p) => sql`(span = ${p.span} AND bucket_start >= ${p.from} AND bucket_start < ${p.to})`),
    sql` OR `,
  );
  return sql`(${where})${endpoint === undefined ? sql`` : sql` AND endpoint = ${endpoint}`}`;
}

/** A stored row's sums, numbers on both dialects (PostgreSQL returns bigint and numeric columns as text). */
function sumsOf(r: Stored): RollupSums {
  return { status: Number(r.status), flags: Number(r.flags), calls: Number(r.calls), sketch: r.sketch };
}

/*
 * Both reads sum in SQL and lay each group's sketches end to end (`concatBytes`): a range covers thousands to tens
 * of thousands of rows, and handing each of them to JS cost most of a report's time.
 */

/** The rollups of `pieces` summed per key (endpoint, method, status, code, flags), optionally of one endpoint only. */
export async function readRollups(database: SqlDatabase, pieces: readonly BucketPiece[], endpoint?: string): Promise<RollupRow[]> {
  if (pieces.length === 0) return [];
  const rows = await database.all<Stored & { endpoint: string; method: string; code: string }>(
    sql`SELECT endpoint, method, status, code, flags, SUM(calls) AS calls, ${database.fragments.concatBytes(sql`sketch`)} AS sketch FROM api_call_rollups
        WHERE ${rowsOf(pieces, endpoint)} GROUP BY endpoint, method, status, code, flags`,
  );
  return rows.map((r) => ({ ...sumsOf(r), endpoint: r.endpoint, method: r.method, code: r.code }));
}

/**
 * The rollups of `pieces` summed per bucket, status and flags (what a series point needs), in bucket order,
 * optionally of one endpoint. The series over every endpoint reads `api_call_totals` instead (bucket-totals.ts).
 */
export async function readRollupCounts(database: SqlDatabase, pieces: readonly BucketPiece[], endpoint?: string): Promise<RollupCounts[]> {
  if (pieces.length === 0) return [];
  const rows = await database.all<Stored & { bucket_start: unknown }>(
    sql`SELECT bucket_start, status, flags, SUM(calls) AS calls, ${database.fragments.concatBytes(sql`sketch`)} AS sketch FROM api_call_rollups
        WHERE ${rowsOf(pieces, endpoint)} GROUP BY bucket_start, status, flags ORDER BY bucket_start`,
  );
  return rows.map((r) => ({ ...sumsOf(r), bucketStart: Number(r.bucket_start) }));
}
