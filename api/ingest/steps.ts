/**
 * The statement steps the ingest store yields (api/ingest/store.ts), and the helpers that build their SQL, shared
 * with the modules that add to a chunk's writes (the API traffic rollups, api/analytics/api-traffic/).
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Row, SqlDatabase } from '../storage/sql/interface.ts';

/**
 * One statement of a chunk: its SQL, and whether the chunk reads the rows it returns. A statement run for many chunks
 * has a `shape`: a key for its SQL text, with `values`, its bound values in order. The SQLite driver then prepares its
 * text once and binds `values` directly, since rendering a drizzle template of hundreds of values each time cost
 * about a third of applying a chunk.
 */
export interface Step {
  query: () => SQL;
  returnsRows: boolean;
  shape?: { key: string; values: ReadonlyArray<string | number | null | Buffer> };
}

/** Rows per multi-row INSERT: far fewer statement executions than one per row, and few distinct SQL texts. */
export const ROWS_PER_INSERT = 64;
/**
 * Lengths a bound IN list is padded to (by repeating its last value, which IN ignores), so a chunk's lookups use a
 * handful of SQL texts, each prepared once, on both dialects. The longest is also the most values per statement.
 */
const IN_LIST_SIZES = [8, 64, 512];
export const MAX_IN_LIST = IN_LIST_SIZES.at(-1)!;

/** A non-empty list of at most {@link MAX_IN_LIST} values, padded to one of {@link IN_LIST_SIZES}. */
export function padded<T extends string | number>(values: readonly T[]): T[] {
  const size = IN_LIST_SIZES.find((n) => n >= values.length)!;
  return values.concat(Array<T>(size - values.length).fill(values.at(-1)!));
}

/** `(?, ?, …)`: a bound list for IN. */
export function inList(values: ReadonlyArray<string | number | null | Buffer>): SQL {
  return sql`(${sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  )})`;
}

/** `values` in slices of at most `size`. */
export function slices<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/** A multi-row VALUES list of `width` bound values per row, from the rows' values laid end to end. */
export function valuesOf(values: ReadonlyArray<string | number | null | Buffer>, width: number): SQL {
  const rows: SQL[] = [];
  for (let i = 0; i < values.length; i += width) rows.push(inList(values.slice(i, i + width)));
  return sql.join(rows, sql`, `);
}

/**
 * Runs statement steps on a {@link SqlDatabase}, handing each step its rows; resolves to the generator's result. A
 * shaped step runs as a {@link SqlDatabase.repeated} statement, prepared once per shape on SQLite.
 */
export async function runSteps<T>(database: SqlDatabase, steps: Generator<Step, T, Row[]>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    const { query, returnsRows, shape } = next.value;
    let rows: Row[] = [];
    if (shape) rows = await database.repeated({ key: shape.key, query, values: shape.values }, returnsRows);
    else if (returnsRows) rows = await database.all(query());
    else await database.run(query());
    next = steps.next(rows);
  }
  return next.value;
}
