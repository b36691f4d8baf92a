/**
 * SQL side of the funnel: one statement streams narrow rows `(pid, ts, id, code)` ordered by person, and
 * each person's rows are evaluated by the pure functions in funnel.ts as soon as the next person starts. Memory is
 * one person's rows plus per-person outcomes (a few numbers each), never the events.
 *
 * Ordered / any order: a UNION ALL of one arm per distinct step event, each a covering scan of
 * `events_event_person_timestamp` (already ordered by person, so SQLite merges the arms without sorting), plus an
 * arm for the virtual first_successful_call step from the partial index of 2xx calls.
 * Strict: the same arms, plus per-row counts of the person's events before / at that time, from which the
 * "other events" between steps are reconstructed without streaming them.
 * Breakdown values are read after the stream, for each person's first touch only, in batches.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase, SqlFragments } from '../storage/sql/interface.ts';
import {
  addOutcome,
  emptyTally,
  evaluatePerson,
  type FunnelEvent,
  type FunnelOrder,
  type FunnelTally,
  insertOtherEvents,
  type PersonOutcome,
  prepareEvents,
} from './funnel.ts';
import { FIRST_SUCCESSFUL_CALL } from './params.ts';
import { firstSuccess, firstSuccessOf } from './sql.ts';

export interface FunnelRunParams {
  from: number;
  to: number;
  steps: string[];
  windowMs: number;
  order: FunnelOrder;
  breakdown?: string | undefined;
}

/** Per-person outcomes kept compactly for the evidence queries (who stalled where, since when). */
export interface StallIndex {
  pids: number[];
  depths: number[];
  starts: number[];
}

export interface FunnelRun {
  total: FunnelTally;
  byValue: Map<string | null, FunnelTally> | undefined;
  stalls: StallIndex;
}

/** Row codes: ≥ 0 index into the distinct event names, −1 the virtual first-success row. */
export const CODE_FIRST_SUCCESS = -1;

/**
 * Which steps each streamed row fills: `names` are the distinct named step events (row code i is `names[i]`),
 * `nameMasks[i]` has bit k set when step k is `names[i]`, `fscMask` marks the first_successful_call steps.
 */
export interface StepMasks {
  names: string[];
  nameMasks: number[];
  fscMask: number;
}

/** The row codes and step masks of a funnel's steps. */
export function stepMasks(steps: readonly string[]): StepMasks {
  const names = [...new Set(steps.filter((s) => s !== FIRST_SUCCESSFUL_CALL))];
  const nameMasks = names.map((n) => steps.reduce((m, s, k) => (s === n ? m | (1 << k) : m), 0));
  const fscMask = steps.reduce((m, s, k) => (s === FIRST_SUCCESSFUL_CALL ? m | (1 << k) : m), 0);
  return { names, nameMasks, fscMask };
}

/**
 * Whether the streamed rows must carry real event ids: only when the first-success row must be matched with its
 * own `api_call` row (`api_call` is also a step). Otherwise ids are synthetic.
 */
function funnelNeedsIds(masks: StepMasks): boolean {
  return masks.fscMask !== 0 && masks.names.includes('api_call');
}

/**
 * Ordered funnels that do not start with first_successful_call only need it for persons who did step 1, so
 * step-1 rows carry it (`fs`) instead of a separate stream of every person's first success.
 */
function funnelFirstSuccessOnStep1(p: Pick<FunnelRunParams, 'steps' | 'order'>, masks: StepMasks): boolean {
  return masks.fscMask !== 0 && p.order === 'ordered' && p.steps[0] !== FIRST_SUCCESSFUL_CALL && !funnelNeedsIds(masks);
}

/** The streaming statement of a funnel over [p.from, p.to]. */
function funnelStatement(f: SqlFragments, p: FunnelRunParams): SQL {
  const masks = stepMasks(p.steps);
  const { names, fscMask } = masks;
  const step1 = p.steps[0]!;
  // Reading `id` makes SQLite fetch the table row for every index entry, so rows carry real ids only when needed.
  const needsIds = funnelNeedsIds(masks);
  const noId = sql`CAST(NULL AS BIGINT)`;
  // Of several 2xx calls at the person's first-success instant, the earliest stored one.
  const fsId = needsIds
    ? sql`(SELECT id FROM events ${f.indexedBy('events_success_call_person_timestamp')} WHERE ${f.successCall} AND person_id = f.pid AND timestamp = f.ts ORDER BY id LIMIT 1)`
    : noId;
  // Strict funnels must know whether any other event of the person lies between two step events. Instead of
  // streaming every event, each step row carries two counts from the covering (person_id, timestamp) index: the
  // person's events before its timestamp and at its timestamp. Gaps between consecutive step rows then reveal
  // the other events (see insertOtherEvents in funnel.ts).
  const byPerson = f.indexedBy('events_person_timestamp');
  const counts = (pid: SQL, ts: SQL) =>
    p.order === 'strict'
      ? sql`, (SELECT COUNT(*) FROM events c ${byPerson} WHERE c.person_id = ${pid} AND c.timestamp < ${ts}) AS nb,
           (SELECT COUNT(*) FROM events c ${byPerson} WHERE c.person_id = ${pid} AND c.timestamp = ${ts}) AS na`
      : sql``;
  // Step-1 rows look the first success up (one seek in the partial index each) instead of a scan over every person's.
  const fsOnStep1 = funnelFirstSuccessOnStep1(p, masks);
  const fsColumn = (n: string) => (!fsOnStep1 ? sql`` : n === step1 ? sql`, ${firstSuccessOf(f, sql`s.person_id`)} AS fs` : sql`, ${noId} AS fs`);
  const arms: SQL[] = names.map(
    (
      n,
      i,
    ) => sql`SELECT s.person_id AS pid, s.timestamp AS ts, ${needsIds ? sql`s.id` : noId} AS id, ${sql.raw(String(i))} AS code${counts(sql`s.person_id`, sql`s.timestamp`)}${fsColumn(n)}
      FROM events s ${f.indexedBy('events_event_person_timestamp')} WHERE s.event = ${n} AND s.timestamp BETWEEN ${p.from} AND ${p.to}`,
  );
  if (fscMask && !fsOnStep1) {
    arms.push(sql`SELECT f.pid AS pid, f.ts AS ts, ${fsId} AS id, ${sql.raw(String(CODE_FIRST_SUCCESS))} AS code${counts(sql`f.pid`, sql`f.ts`)}
      FROM (${firstSuccess(f)}) f WHERE f.ts BETWEEN ${p.from} AND ${p.to}`);
  }
  return sql`${sql.join(arms, sql`\nUNION ALL\n`)}\nORDER BY pid`;
}

/**
 * A breakdown value from its JSON text, printed the same on both dialects: strings as themselves, booleans as
 * true / false, numbers as JS prints them, objects and arrays as compact JSON (jsonb keeps no key order, so an
 * object with several keys may list them in another order on PostgreSQL). A missing property or JSON null is null.
 */
function breakdownText(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  const value: unknown = JSON.parse(String(raw));
  if (value === null) return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** First touches whose breakdown value one statement reads. */
const BREAKDOWN_BATCH = 10_000;

/**
 * The breakdown property of each pending first touch, in order: the event found by (event, person, time), the
 * earliest stored on ties; a first-success touch is that person's 2xx call at that time. One statement per batch
 * (a round trip per person would dominate on PostgreSQL).
 */
async function breakdownValues(database: SqlDatabase, property: string, names: string[], pending: PendingBreakdown[]): Promise<Array<string | null>> {
  const f = database.fragments;
  // Read as JSON text, so both dialects print a value alike (see breakdownText).
  const value = f.jsonRaw(sql`e.properties`, property);
  const out: Array<string | null> = [];
  for (let start = 0; start < pending.length; start += BREAKDOWN_BATCH) {
    // A NULL step event: the touch is a first-success row (or there is none, and the time is NULL too).
    const touches = pending.slice(start, start + BREAKDOWN_BATCH).map((x) => {
      const source = x.entry?.source ?? CODE_FIRST_SUCCESS;
      return [x.pid, x.entry?.ts ?? null, x.entry && source >= 0 ? names[source]! : null];
    });
    const keys = f.boundRows(touches, [
      ['pid', 'integer'],
      ['ts', 'integer'],
      ['step_event', 'text'],
    ]);
    const rows = await database.all<{ v: unknown }>(
      sql`SELECT CASE WHEN k.step_event IS NULL
                   THEN (SELECT ${value} FROM events e ${f.indexedBy('events_success_call_person_timestamp')}
                         WHERE ${f.successCall} AND e.person_id = k.pid AND e.timestamp = k.ts ORDER BY e.id LIMIT 1)
                   ELSE (SELECT ${value} FROM events e ${f.indexedBy('events_event_person_timestamp')}
                         WHERE e.event = k.step_event AND e.person_id = k.pid AND e.timestamp = k.ts ORDER BY e.id LIMIT 1)
                 END AS v
          FROM ${keys} AS k ORDER BY k.ord`,
    );
    for (const r of rows) out.push(breakdownText(r.v));
  }
  return out;
}

/** One streamed row of the funnel statement, in either SQL dialect. */
export type FunnelRow = {
  pid: number;
  ts: number;
  id: number | null;
  code: number;
  nb?: number;
  na?: number;
  fs?: number | null;
};

/** A person of the first period whose breakdown value is still to be read (see {@link FunnelAccumulator}). */
export interface PendingBreakdown {
  pid: number;
  entry: FunnelEvent | undefined;
  outcome: PersonOutcome;
}

/**
 * Evaluates streamed rows person by person (rows must come grouped by `pid`, in ascending order) and tallies the
 * outcomes of every period. `union` is the range the statement must stream.
 */
export interface FunnelAccumulator {
  union: { from: number; to: number };
  push(row: FunnelRow): void;
  /** Evaluates the last person and returns one run per period. */
  end(): FunnelRun[];
  /**
   * Breakdown values are read after the stream: `pending` lists the persons of the first period with their first
   * touch, in stream order, and `tallyBreakdown` takes their values in that order.
   */
  pending: PendingBreakdown[];
  tallyBreakdown(values: ReadonlyArray<string | null>): void;
}

/**
 * The streaming side of {@link runFunnelPeriods}: person evaluation, period split, tallies, breakdown and stalls.
 * It does only synchronous work per row, as a SQLite cursor held open between batches requires.
 */
function createFunnelAccumulator(p: FunnelRunParams, extra: Array<{ from: number; to: number }>, masks: StepMasks): FunnelAccumulator {
  const periods = [{ from: p.from, to: p.to }, ...extra];
  const union = { from: Math.min(...periods.map((x) => x.from)), to: Math.max(...periods.map((x) => x.to)) };
  const steps = p.steps.length;
  const opts = { steps, windowMs: p.windowMs, order: p.order, preferMask: masks.fscMask };
  const runs: FunnelRun[] = periods.map((_, i) => ({
    total: emptyTally(steps),
    byValue: i === 0 && p.breakdown !== undefined ? new Map<string | null, FunnelTally>() : undefined,
    stalls: { pids: [], depths: [], starts: [] },
  }));
  const pending: PendingBreakdown[] = [];

  const tallyValue = (byValue: Map<string | null, FunnelTally>, value: string | null, outcome: PersonOutcome, to: number) => {
    let tally = byValue.get(value);
    if (!tally) byValue.set(value, (tally = emptyTally(steps)));
    addOutcome(tally, outcome, p.windowMs, to);
  };
  const evaluate = (pid: number, rows: FunnelEvent[], run: FunnelRun, to: number) => {
    const prepared = prepareEvents(rows, steps);
    const outcome: PersonOutcome = evaluatePerson(p.order === 'strict' ? insertOtherEvents(prepared) : prepared, opts);
    if (outcome.depth === 0) return;
    addOutcome(run.total, outcome, p.windowMs, to);
    if (run.byValue) pending.push({ pid, entry: outcome.entry, outcome });
    if (outcome.depth < steps) {
      run.stalls.pids.push(pid);
      run.stalls.depths.push(outcome.depth);
      run.stalls.starts.push(outcome.start);
    }
  };
  const finish = (pid: number, rows: FunnelEvent[]) => {
    if (periods.length === 1) return evaluate(pid, rows, runs[0]!, periods[0]!.to);
    periods.forEach((period, i) => {
      const inside = rows.filter((r) => r.ts >= period.from && r.ts <= period.to);
      if (inside.length) evaluate(pid, inside, runs[i]!, period.to);
    });
  };

  let current = -1;
  let rows: FunnelEvent[] = [];
  let synthetic = 0;
  let firstSuccessAdded = false;
  return {
    union,
    pending,
    push(row) {
      if (row.pid !== current) {
        if (rows.length) finish(current, rows);
        current = row.pid;
        rows = [];
        firstSuccessAdded = false;
      }
      if (row.fs != null && !firstSuccessAdded) {
        firstSuccessAdded = true;
        if (row.fs >= union.from && row.fs <= union.to) rows.push({ ts: row.fs, id: --synthetic, mask: masks.fscMask, source: CODE_FIRST_SUCCESS });
      }
      const mask = row.code >= 0 ? masks.nameMasks[row.code]! : row.code === CODE_FIRST_SUCCESS ? masks.fscMask : 0;
      rows.push({
        ts: row.ts,
        id: row.id ?? --synthetic,
        mask,
        source: row.code,
        ...(row.nb === undefined ? {} : { before: row.nb, atSameTime: row.na! }),
      });
    },
    end() {
      if (rows.length) finish(current, rows);
      rows = [];
      return runs;
    },
    tallyBreakdown(values) {
      const byValue = runs[0]!.byValue;
      if (!byValue) return;
      for (const [i, person] of pending.entries()) tallyValue(byValue, person.entry ? (values[i] ?? null) : null, person.outcome, p.to);
    },
  };
}

/** Rows per batch of the funnel stream. */
const STREAM_BATCH = 5_000;

/**
 * Runs the same funnel over `[p.from, p.to]` and over `extra` periods in one pass: rows are streamed once over
 * the union of the ranges and each person's rows are split per period (every period keeps its own [from, to]
 * rule). The breakdown is computed for the first period only.
 */
export async function runFunnelPeriods(database: SqlDatabase, p: FunnelRunParams, extra: Array<{ from: number; to: number }>): Promise<FunnelRun[]> {
  const masks = stepMasks(p.steps);
  const accumulator = createFunnelAccumulator(p, extra, masks);
  for await (const batch of database.stream<FunnelRow>(funnelStatement(database.fragments, { ...p, ...accumulator.union }), STREAM_BATCH)) {
    for (const row of batch) accumulator.push(row);
  }
  const runs = accumulator.end();
  if (p.breakdown !== undefined) accumulator.tallyBreakdown(await breakdownValues(database, p.breakdown, masks.names, accumulator.pending));
  return runs;
}
