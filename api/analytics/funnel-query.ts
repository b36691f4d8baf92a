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
 */
import type { Database } from 'better-sqlite3';
import { addOutcome, emptyTally, evaluatePerson, insertOtherEvents, prepareEvents, type FunnelEvent, type FunnelOrder, type FunnelTally, type PersonOutcome } from './funnel.ts';
import { FIRST_SUCCESSFUL_CALL } from './params.ts';
import { FIRST_SUCCESS, firstSuccessOf, propertyPath, SUCCESS_CALL } from './sql.ts';

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

/** The row codes and step masks of a funnel's steps, the same for every SQL dialect. */
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
export function funnelNeedsIds(masks: StepMasks): boolean {
  return masks.fscMask !== 0 && masks.names.includes('api_call');
}

/**
 * Ordered funnels that do not start with first_successful_call only need it for persons who did step 1, so
 * step-1 rows carry it (`fs`) instead of a separate stream of every person's first success.
 */
export function funnelFirstSuccessOnStep1(p: Pick<FunnelRunParams, 'steps' | 'order'>, masks: StepMasks): boolean {
  return masks.fscMask !== 0 && p.order === 'ordered' && p.steps[0] !== FIRST_SUCCESSFUL_CALL && !funnelNeedsIds(masks);
}

interface Plan extends StepMasks {
  sql: string;
  params: Record<string, string | number>;
}

function buildPlan(p: FunnelRunParams): Plan {
  const { names, nameMasks, fscMask } = stepMasks(p.steps);
  const params: Record<string, string | number> = { from: p.from, to: p.to };
  names.forEach((n, i) => (params[`e${i}`] = n));
  const step1 = p.steps[0]!;
  // Reading `id` makes SQLite fetch the table row for every index entry, so rows carry real ids only when needed.
  const needsIds = funnelNeedsIds({ names, nameMasks, fscMask });
  const fsId = needsIds ? `(SELECT id FROM events INDEXED BY events_success_call_person_timestamp WHERE ${SUCCESS_CALL} AND person_id = f.pid AND timestamp = f.ts LIMIT 1)` : 'NULL';
  // Strict funnels must know whether any other event of the person lies between two step events. Instead of
  // streaming every event, each step row carries two counts from the covering (person_id, timestamp) index: the
  // person's events before its timestamp and at its timestamp. Gaps between consecutive step rows then reveal
  // the other events (see insertOtherEvents in funnel.ts).
  const counts = (pid: string, ts: string) =>
    p.order === 'strict'
      ? `, (SELECT COUNT(*) FROM events c INDEXED BY events_person_timestamp WHERE c.person_id = ${pid} AND c.timestamp < ${ts}) AS nb,
           (SELECT COUNT(*) FROM events c INDEXED BY events_person_timestamp WHERE c.person_id = ${pid} AND c.timestamp = ${ts}) AS na`
      : '';
  // Step-1 rows look the first success up (one seek in the partial index each) instead of a scan over every person's.
  const fsOnStep1 = funnelFirstSuccessOnStep1(p, { names, nameMasks, fscMask });
  const fsColumn = (n: string) => (!fsOnStep1 ? '' : n === step1 ? `, ${firstSuccessOf('s.person_id')} AS fs` : ', NULL AS fs');
  const arms = names.map(
    (n, i) => `SELECT s.person_id AS pid, s.timestamp AS ts, ${needsIds ? 's.id' : 'NULL'} AS id, ${i} AS code${counts('s.person_id', 's.timestamp')}${fsColumn(n)}
      FROM events s INDEXED BY events_event_person_timestamp WHERE s.event = @e${i} AND s.timestamp BETWEEN @from AND @to`,
  );
  if (fscMask && !fsOnStep1) {
    arms.push(`SELECT f.pid AS pid, f.ts AS ts, ${fsId} AS id, ${CODE_FIRST_SUCCESS} AS code${counts('f.pid', 'f.ts')}
      FROM (${FIRST_SUCCESS}) f WHERE f.ts BETWEEN @from AND @to`);
  }
  return { sql: `${arms.join('\nUNION ALL\n')}\nORDER BY pid`, params, names, nameMasks, fscMask };
}

/** Reads one property of a person's event found by (event, person, time): the breakdown's first touch. */
function breakdownLookup(sqlite: Database, property: string, names: string[]) {
  type Args = { path: string; pid: number; ts: number; event?: string };
  const named = sqlite
    .prepare<Args, unknown>(
      `SELECT json_extract(properties, @path) FROM events INDEXED BY events_event_person_timestamp
       WHERE event = @event AND person_id = @pid AND timestamp = @ts LIMIT 1`,
    )
    .pluck();
  const success = sqlite
    .prepare<Args, unknown>(
      `SELECT json_extract(properties, @path) FROM events INDEXED BY events_success_call_person_timestamp
       WHERE ${SUCCESS_CALL} AND person_id = @pid AND timestamp = @ts LIMIT 1`,
    )
    .pluck();
  const path = propertyPath(property);
  return (pid: number, entry: FunnelEvent): string | null => {
    const source = entry.source ?? CODE_FIRST_SUCCESS;
    const raw = source >= 0 ? named.get({ path, pid, ts: entry.ts, event: names[source]! }) : success.get({ path, pid, ts: entry.ts });
    return raw === null || raw === undefined ? null : String(raw);
  };
}

/** One streamed row of the funnel statement, in either SQL dialect. */
export interface FunnelRow {
  pid: number;
  ts: number;
  id: number | null;
  code: number;
  nb?: number;
  na?: number;
  fs?: number | null;
}

/** Reads the breakdown value of a person's first-touch event. */
export type BreakdownValue = (pid: number, entry: FunnelEvent) => string | null;

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
   * Without a `breakdownValue` reader, breakdown values are read after the stream: `pending` lists the persons of
   * the first period with their first touch, in stream order, and `tallyBreakdown` takes their values in that order.
   */
  pending: PendingBreakdown[];
  tallyBreakdown(values: ReadonlyArray<string | null>): void;
}

/**
 * The dialect-independent side of {@link runFunnelPeriods}: person evaluation, period split, tallies, breakdown
 * and stalls. `breakdownValue` reads a value while streaming; without it (and with `p.breakdown`) values are read
 * afterwards through `pending` / `tallyBreakdown`, which gives the same tallies in the same order.
 */
export function createFunnelAccumulator(
  p: FunnelRunParams,
  extra: Array<{ from: number; to: number }>,
  masks: StepMasks,
  breakdownValue?: BreakdownValue,
): FunnelAccumulator {
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
    if (run.byValue) {
      if (breakdownValue) tallyValue(run.byValue, outcome.entry ? breakdownValue(pid, outcome.entry) : null, outcome, to);
      else pending.push({ pid, entry: outcome.entry, outcome });
    }
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
      pending.forEach((person, i) => tallyValue(byValue, person.entry ? (values[i] ?? null) : null, person.outcome, p.to));
    },
  };
}

/**
 * Runs the funnel over `[from, to]`: streams rows, evaluates each person, and tallies the outcomes (overall and,
 * when asked, per breakdown value).
 */
export function runFunnel(sqlite: Database, p: FunnelRunParams): FunnelRun {
  return runFunnelPeriods(sqlite, p, [])[0]!;
}

/**
 * Runs the same funnel over `[p.from, p.to]` and over `extra` periods in one pass: rows are streamed once over
 * the union of the ranges and each person's rows are split per period (every period keeps its own [from, to]
 * rule). The breakdown is computed for the first period only.
 */
export function runFunnelPeriods(sqlite: Database, p: FunnelRunParams, extra: Array<{ from: number; to: number }>): FunnelRun[] {
  const masks = stepMasks(p.steps);
  // The breakdown value is read only for each person's first-touch event, after evaluation, instead of
  // extracting JSON from every step-1 row in the stream. Reading while iterating is fine in better-sqlite3.
  const lookup = p.breakdown === undefined ? undefined : breakdownLookup(sqlite, p.breakdown, masks.names);
  const accumulator = createFunnelAccumulator(p, extra, masks, lookup);
  const plan = buildPlan({ ...p, ...accumulator.union });
  const stmt = sqlite.prepare<Record<string, string | number>, FunnelRow>(plan.sql);
  for (const row of stmt.iterate(plan.params)) accumulator.push(row);
  return accumulator.end();
}

/** The SQL text of a funnel plan, for EXPLAIN in tests and the benchmark. */
export function funnelSql(p: FunnelRunParams): string {
  return buildPlan(p).sql;
}
