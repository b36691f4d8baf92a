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

/** What the sums of a rollup row need (api-traffic/health-summary.ts): the series reads only these. */
export interface RollupCounts {
  bucketStart: number;
  status: number;
  flags: number;
  calls: number;
  sketch: Uint8Array;
}

/** One stored rollup row. */
export interface RollupRow extends RollupCounts {
  span: number;
  endpoint: string;
  method: string;
  code: string;
}

type Stored = { bucket_start: unknown; status: unknown; flags: unknown; calls: unknown; sketch: Uint8Array };

/** The WHERE clause selecting the rows of `pieces`, optionally of one endpoint only. */
function rowsOf(pieces: readonly BucketPiece[], endpoint: string | undefined): SQL {
  const where: SQL = sql.join(
    pieces.map((p) => sql`(span = ${p.span} AND bucket_start >= ${p.from} AND bucket_start < ${p.to})`),
    sql` OR `,
  );
  return sql`(${where})${endpoint === undefined ? sql`` : sql` AND endpoint = ${endpoint}`}`;
}

/** A stored row's counts, numbers on both dialects (PostgreSQL returns bigint columns as text). */
function countsOf(r: Stored): RollupCounts {
  return { bucketStart: Number(r.bucket_start), status: Number(r.status), flags: Number(r.flags), calls: Number(r.calls), sketch: r.sketch };
}

/** The rollup rows of `pieces`, optionally of one endpoint only. */
export async function readRollups(database: SqlDatabase, pieces: readonly BucketPiece[], endpoint?: string): Promise<RollupRow[]> {
  if (pieces.length === 0) return [];
  const rows = await database.all<Stored & { span: unknown; endpoint: string; method: string; code: string }>(
    sql`SELECT bucket_start, span, endpoint, method, status, code, flags, calls, sketch FROM api_call_rollups WHERE ${rowsOf(pieces, endpoint)}`,
  );
  return rows.map((r) => ({ ...countsOf(r), span: Number(r.span), endpoint: r.endpoint, method: r.method, code: r.code }));
}

/**
 * The counts of the rollup rows of `pieces` summed per bucket, status and flags, without their key text, each with
 * the group's sketches laid end to end: a 30-day hourly series covers tens of thousands of rows, and most of its
 * time went into handing each row and columns it never uses to JS. Sums of these give what sums of the rows give.
 */
export async function readRollupCounts(database: SqlDatabase, pieces: readonly BucketPiece[], endpoint?: string): Promise<RollupCounts[]> {
  if (pieces.length === 0) return [];
  const rows = await database.all<Stored>(
    sql`SELECT bucket_start, status, flags, SUM(calls) AS calls, ${database.fragments.concatBytes(sql`sketch`)} AS sketch FROM api_call_rollups
        WHERE ${rowsOf(pieces, endpoint)} GROUP BY bucket_start, status, flags`,
  );
  return rows.map(countsOf);
}
