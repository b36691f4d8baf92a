/**
 * SQL side of the funnel: one statement streams narrow rows `(pid, ts, id, code)` ordered by person, and each
 * person's rows are turned into {@link FunnelEvent}s (step and exclusion masks from the property filters, evaluated
 * in JS so both dialects compare alike) and handed to a consumer as soon as the next person starts. Memory is one
 * person's rows, never the events.
 *
 * Arms: one covering scan of `events_event_person_timestamp` per distinct step or exclusion event (of
 * `events_event_timestamp` for `api_call`, which the first leaves out), plus the virtual
 * first_successful_call step (see {@link firstSuccessRows}). Properties (event and person) are read only when a
 * filter or the breakdown needs them. Strict funnels also carry per-row counts of the person's events before / at
 * that time, from which the "other events" between steps are reconstructed without streaming them.
 */
import { type SQL, sql } from 'drizzle-orm';
import { parseJsonColumn, type SqlDatabase, type SqlFragments } from '../storage/sql/interface.ts';
import { FIRST_SUCCESSFUL_CALL, type PropertyFilter } from './contract.ts';
import type { EventColumns } from './funnel-columns.ts';
import { type FunnelEvent, insertOtherEvents, prepareEvents } from './funnel-evaluate.ts';
import { filtersRead, passesAll } from './funnel-filters.ts';
import type { FunnelParams } from './funnel-params.ts';
import { eventRows, firstSuccess } from './sql.ts';

/** Row codes: ≥ 0 index into the distinct event names, −1 the virtual first-success row. */
const CODE_FIRST_SUCCESS = -1;

/** What decides each row's masks: per step and per exclusion, its event name and filters. */
interface Matchers {
  names: string[];
  steps: Array<{ event: string; filters: PropertyFilter[] }>;
  exclusions: Array<{ event: string; filters: PropertyFilter[]; bits: number }>;
  global: PropertyFilter[];
  readsEvent: boolean;
  readsPerson: boolean;
  hasFirstSuccess: boolean;
}

function matchersOf(p: FunnelParams): Matchers {
  const global = p.globalFilters ?? [];
  const steps = p.steps.map((event, k) => ({ event, filters: p.stepFilters?.[k] ?? [] }));
  const exclusions = (p.exclusions ?? []).map((x) => {
    let bits = 0;
    for (let j = x.fromStep; j < x.toStep; j++) bits |= 1 << j;
    return { event: x.event, filters: x.properties ?? [], bits };
  });
  const all = [...global, ...steps.flatMap((s) => s.filters), ...exclusions.flatMap((x) => x.filters)];
  const reads = filtersRead(all);
  const events = [...steps.map((s) => s.event), ...exclusions.map((x) => x.event)];
  return {
    names: [...new Set(events.filter((e) => e !== FIRST_SUCCESSFUL_CALL))],
    steps,
    exclusions,
    global,
    readsEvent: reads.event || p.breakdown !== undefined,
    readsPerson: reads.person,
    hasFirstSuccess: events.includes(FIRST_SUCCESSFUL_CALL),
  };
}

/**
 * The virtual first_successful_call rows: each person's earliest 2xx `api_call` over all time, when in range. Kept
 * in this one function so the source of those facts can change in one place.
 */
function firstSuccessRows(
  f: SqlFragments,
  from: number,
  to: number,
  columns: { id: SQL; props: SQL; extra: (pid: SQL, ts: SQL) => SQL },
  person: (column: SQL) => SQL,
): SQL {
  return sql`SELECT f.pid AS pid, f.ts AS ts, ${columns.id} AS id, ${sql.raw(String(CODE_FIRST_SUCCESS))} AS code${columns.props}${columns.extra(sql`f.pid`, sql`f.ts`)}
      FROM (${firstSuccess(f)}) f WHERE f.ts BETWEEN ${from} AND ${to}${person(sql`f.pid`)}`;
}

/** The streaming statement over [from, to]; with `onlyPerson` (an internal person id), that person's rows only. */
function funnelStatement(f: SqlFragments, p: FunnelParams, m: Matchers, from: number, to: number, onlyPerson?: number): SQL {
  const person = (column: SQL) => (onlyPerson === undefined ? sql`` : sql` AND ${column} = ${onlyPerson}`);
  // Real ids are needed to merge the first-success row with its own api_call row, and to order events at one
  // instant by storage order when their properties decide a first or last touch. Reading `id` costs a table lookup
  // on SQLite (free once the properties are read), so otherwise ids are synthetic.
  const needsIds = (m.hasFirstSuccess && m.names.includes('api_call')) || m.readsEvent;
  const noId = sql`CAST(NULL AS BIGINT)`;
  // The person's events at that instant (a handful) from their time index, then the 2xx call among them.
  const successAt = (pid: SQL, ts: SQL, column: SQL) =>
    sql`(SELECT ${column} FROM events ${f.indexedBy('events_person_timestamp')} WHERE ${f.successCall} AND person_id = ${pid} AND timestamp = ${ts} ORDER BY id LIMIT 1)`;
  const byPerson = f.indexedBy('events_person_timestamp');
  const extra = (pid: SQL, ts: SQL) =>
    sql`${
      p.order === 'strict'
        ? sql`, (SELECT COUNT(*) FROM events c ${byPerson} WHERE c.person_id = ${pid} AND c.timestamp < ${ts}) AS nb,
           (SELECT COUNT(*) FROM events c ${byPerson} WHERE c.person_id = ${pid} AND c.timestamp = ${ts}) AS na`
        : sql``
    }${m.readsPerson ? sql`, (SELECT pp.properties FROM persons pp WHERE pp.id = ${pid}) AS pp` : sql``}`;
  const arms: SQL[] = m.names.map((n, i) => {
    const rows = eventRows(f, 's', n);
    return sql`SELECT s.person_id AS pid, s.timestamp AS ts, ${needsIds ? sql`s.id` : noId} AS id, ${sql.raw(String(i))} AS code${m.readsEvent ? sql`, s.properties AS props` : sql``}${extra(sql`s.person_id`, sql`s.timestamp`)}
      FROM ${rows.from} WHERE ${rows.where} AND s.timestamp BETWEEN ${from} AND ${to}${person(sql`s.person_id`)}`;
  });
  if (m.hasFirstSuccess) {
    arms.push(
      firstSuccessRows(
        f,
        from,
        to,
        {
          id: needsIds ? successAt(sql`f.pid`, sql`f.ts`, sql`id`) : noId,
          props: m.readsEvent ? sql`, ${successAt(sql`f.pid`, sql`f.ts`, sql`properties`)} AS props` : sql``,
          extra,
        },
        person,
      ),
    );
  }
  return sql`${sql.join(arms, sql`\nUNION ALL\n`)}\nORDER BY pid`;
}

/** A breakdown value as text, the same on both dialects; absent, JSON null and '' are null. */
function breakdownText(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One streamed row, in either SQL dialect. */
type FunnelRow = { pid: number; ts: number; id: number | null; code: number; props?: unknown; pp?: unknown; nb?: number; na?: number };

/** The funnel event of one row: which steps it fills and which attempts it excludes, after every filter. */
function toEvent(row: FunnelRow, m: Matchers, p: FunnelParams, personProps: Record<string, unknown> | undefined, id: number): FunnelEvent {
  const name = row.code === CODE_FIRST_SUCCESS ? FIRST_SUCCESSFUL_CALL : m.names[row.code]!;
  const props = row.props === undefined || row.props === null ? undefined : parseJsonColumn<Record<string, unknown>>(row.props);
  let mask = 0;
  let exclusionMask = 0;
  if (passesAll(m.global, props, personProps)) {
    m.steps.forEach((s, k) => {
      if (s.event === name && passesAll(s.filters, props, personProps)) mask |= 1 << k;
    });
    for (const x of m.exclusions) if (x.event === name && passesAll(x.filters, props, personProps)) exclusionMask |= x.bits;
  }
  return {
    ts: row.ts,
    id,
    mask,
    exclusionMask,
    source: row.code,
    ...(p.breakdown === undefined ? {} : { value: breakdownText(props?.[p.breakdown]) }),
    ...(row.nb === undefined ? {} : { before: Number(row.nb), atSameTime: Number(row.na) }),
  };
}

/**
 * Where a funnel's per-person events come from: {@link streamFunnelPersons} (raw events), or the per-person state
 * (api/analytics/person-state/) when it can answer. Calls `onPerson` once per person, in person order.
 */
export type FunnelPersonStream = ((
  p: FunnelParams,
  range: { from: number; to: number },
  onPerson: (pid: number, events: FunnelEvent[]) => void,
) => Promise<void>) & {
  /**
   * The same events as columns reused from person to person, for sources that hold them so (the per-person state):
   * each person's are [start, end) of `events`. Resolves to false, without calling `onPerson`, when the source cannot answer `p` that way. The events are only
   * evaluated as an ordered, strict or any-order funnel over periods whose bounds are among `cuts`, which lets the
   * source leave out events that cannot change such an outcome (see `funnelColumnsFromState`).
   */
  columns?: (
    p: FunnelParams,
    range: { from: number; to: number },
    onPerson: (pid: number, events: EventColumns, start: number, end: number) => void,
    cuts: readonly number[],
  ) => Promise<boolean>;
};

/** The raw-event source of `database`. */
export function rawFunnelStream(database: SqlDatabase): FunnelPersonStream {
  return (p, range, onPerson) => streamFunnelPersons(database, p, range, onPerson);
}

/** Rows per batch of the funnel stream. */
const STREAM_BATCH = 5_000;

/**
 * Streams the funnel's events over [from, to] and calls `onPerson` once per person, in person order, with their
 * events ready for `evaluatePerson` (sorted, merged, "other" events added for strict funnels). `onlyPerson` (an
 * internal person id) streams that one person's events: the person page's funnel position.
 */
export async function streamFunnelPersons(
  database: SqlDatabase,
  p: FunnelParams,
  range: { from: number; to: number },
  onPerson: (pid: number, events: FunnelEvent[]) => void,
  onlyPerson?: number,
): Promise<void> {
  const m = matchersOf(p);
  let current = -1;
  let rows: FunnelEvent[] = [];
  let personProps: Record<string, unknown> | undefined;
  let synthetic = 0;
  const finish = () => {
    if (rows.length === 0) return;
    const prepared = prepareEvents(rows);
    onPerson(current, p.order === 'strict' ? insertOtherEvents(prepared) : prepared);
  };
  for await (const batch of database.stream<FunnelRow>(funnelStatement(database.fragments, p, m, range.from, range.to, onlyPerson), STREAM_BATCH)) {
    for (const row of batch) {
      if (row.pid !== current) {
        finish();
        current = row.pid;
        rows = [];
        personProps = row.pp === undefined || row.pp === null ? undefined : parseJsonColumn<Record<string, unknown>>(row.pp);
      }
      rows.push(toEvent(row, m, p, personProps, row.id ?? --synthetic));
    }
  }
  finish();
}
