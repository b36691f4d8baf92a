/**
 * PostgreSQL side of the funnel: the statement of api/analytics/funnel-query.ts (one arm per distinct step event
 * over `events_event_person_timestamp`, one for first_successful_call over its partial index, merged by person)
 * streamed through a cursor into the same {@link createFunnelAccumulator}, so persons are evaluated by the same code.
 *
 * The breakdown value of each person's first touch is read after the stream, in batches, since a round trip per
 * person (what SQLite does in-process) would cost far more here; the tallies come out the same and in the same order.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { OnrampPgDb } from '../../../db/client-pg.ts';
import {
  CODE_FIRST_SUCCESS,
  createFunnelAccumulator,
  funnelFirstSuccessOnStep1,
  funnelNeedsIds,
  stepMasks,
  type FunnelRow,
  type FunnelRun,
  type FunnelRunParams,
  type PendingBreakdown,
} from '../funnel-query.ts';
import { pgRows, streamPgRows } from './query.ts';
import { FIRST_SUCCESS, firstSuccessOf, SUCCESS_CALL } from './sql.ts';

/** The streaming statement for `p` over [p.from, p.to]; exported for EXPLAIN in tests. */
export function funnelSqlPg(p: FunnelRunParams): SQL {
  const masks = stepMasks(p.steps);
  const { names, fscMask } = masks;
  const needsIds = funnelNeedsIds(masks);
  const fsOnStep1 = funnelFirstSuccessOnStep1(p, masks);
  const step1 = p.steps[0]!;
  // Of several 2xx calls at the person's first-success instant, the earliest stored one, as SQLite's index gives it.
  const fsId = needsIds
    ? sql`(SELECT id FROM events WHERE ${SUCCESS_CALL} AND person_id = f.pid AND timestamp = f.ts ORDER BY id LIMIT 1)`
    : sql`NULL::bigint`;
  // Strict funnels: the person's events before / at the row's time, from `events_person_timestamp` (see funnel.ts).
  const counts = (pid: string, ts: string) =>
    p.order === 'strict'
      ? sql.raw(`, (SELECT COUNT(*) FROM events c WHERE c.person_id = ${pid} AND c.timestamp < ${ts}) AS nb,
           (SELECT COUNT(*) FROM events c WHERE c.person_id = ${pid} AND c.timestamp = ${ts}) AS na`)
      : sql``;
  const fsColumn = (n: string) => (!fsOnStep1 ? sql`` : n === step1 ? sql`, ${firstSuccessOf('s.person_id')} AS fs` : sql`, NULL::bigint AS fs`);
  const arms: SQL[] = names.map(
    (n, i) => sql`SELECT s.person_id AS pid, s.timestamp AS ts, ${needsIds ? sql`s.id` : sql`NULL::bigint`} AS id, ${sql.raw(String(i))} AS code${counts('s.person_id', 's.timestamp')}${fsColumn(n)}
      FROM events s WHERE s.event = ${n} AND s.timestamp BETWEEN ${p.from} AND ${p.to}`,
  );
  if (fscMask && !fsOnStep1) {
    arms.push(sql`SELECT f.pid AS pid, f.ts AS ts, ${fsId} AS id, ${sql.raw(String(CODE_FIRST_SUCCESS))} AS code${counts('f.pid', 'f.ts')}
      FROM (${FIRST_SUCCESS}) f WHERE f.ts BETWEEN ${p.from} AND ${p.to}`);
  }
  // With real ids, a person's `api_call` row and first-success row are the same event and merge into one; the row
  // seen first gives the merged event its source (which the breakdown reads). SQLite's merge of the arms yields a
  // person's named-step rows before the first-success row, so the same order is asked for here.
  const order = needsIds ? sql`ORDER BY pid, code DESC` : sql`ORDER BY pid`;
  return sql`${sql.join(arms, sql`\nUNION ALL\n`)}\n${order}`;
}

/** Rows of first touches looked up per breakdown statement. */
const BREAKDOWN_BATCH = 10_000;

/**
 * The breakdown property of each pending first touch, as SQLite's `String(json_extract(...))` gives it: the event
 * found by (event, person, time), the earliest stored on ties; a first-success touch is that person's 2xx call at
 * that time.
 */
async function breakdownValues(db: OnrampPgDb, property: string, names: string[], pending: PendingBreakdown[]): Promise<Array<string | null>> {
  const out: Array<string | null> = [];
  for (let start = 0; start < pending.length; start += BREAKDOWN_BATCH) {
    const batch = pending.slice(start, start + BREAKDOWN_BATCH);
    const pids = batch.map((x) => x.pid);
    const times = batch.map((x) => x.entry?.ts ?? null);
    // NULL event: the touch is a first-success row (or there is none, and the time is NULL too).
    const events = batch.map((x) => (x.entry && (x.entry.source ?? CODE_FIRST_SUCCESS) >= 0 ? names[x.entry.source!]! : null));
    const rows = await pgRows<{ v: unknown }>(
      db,
      sql`SELECT CASE WHEN k.event IS NULL
                   THEN (SELECT e.properties->${property}::text FROM events e WHERE ${SUCCESS_CALL} AND e.person_id = k.pid AND e.timestamp = k.ts ORDER BY e.id LIMIT 1)
                   ELSE (SELECT e.properties->${property}::text FROM events e WHERE e.event = k.event AND e.person_id = k.pid AND e.timestamp = k.ts ORDER BY e.id LIMIT 1)
                 END AS v
          FROM unnest(${sql.param(pids)}::bigint[], ${sql.param(times)}::bigint[], ${sql.param(events)}::text[]) WITH ORDINALITY AS k(pid, ts, event, n)
          ORDER BY k.n`,
    );
    for (const r of rows) out.push(sqliteText(r.v));
  }
  return out;
}

/**
 * A JSON value as SQLite's `json_extract` hands it to JS, then `String()`: true / false are 1 / 0, numbers print as
 * JS numbers, objects and arrays as compact JSON. (jsonb keeps no key order, so an object value with several keys may
 * print its keys in another order than SQLite, which keeps the text as sent.)
 */
function sqliteText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Same as {@link runFunnelPeriods} in api/analytics/funnel-query.ts, on PostgreSQL. */
export async function runFunnelPeriodsPg(db: OnrampPgDb, p: FunnelRunParams, extra: Array<{ from: number; to: number }>): Promise<FunnelRun[]> {
  const masks = stepMasks(p.steps);
  const accumulator = createFunnelAccumulator(p, extra, masks);
  await streamPgRows<FunnelRow>(db, funnelSqlPg({ ...p, ...accumulator.union }), (row) => accumulator.push(row));
  const runs = accumulator.end();
  if (p.breakdown !== undefined) accumulator.tallyBreakdown(await breakdownValues(db, p.breakdown, masks.names, accumulator.pending));
  return runs;
}

/** Same as {@link runFunnel}, on PostgreSQL. */
export async function runFunnelPg(db: OnrampPgDb, p: FunnelRunParams): Promise<FunnelRun> {
  return (await runFunnelPeriodsPg(db, p, []))[0]!;
}
