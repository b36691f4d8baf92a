/**
 * The funnel's other views, computed from the same stream and per-person evaluation as the report: who reached,
 * dropped or is in progress at a step (`/funnel/persons`), conversion per interval (`/funnel/trend`) and the
 * time-to-convert histogram (`/funnel/time-to-convert`).
 */
import { sql } from 'drizzle-orm';
import { parseJsonColumn, type SqlDatabase } from '../storage/sql/interface.ts';
import type { FunnelPerson, FunnelPersonsReport, FunnelTrendReport, TimeToConvertReport } from './contract.ts';
import { evaluatePerson, type PersonOutcome } from './funnel-evaluate.ts';
import type { FunnelPersonsParams, FunnelTimeToConvertParams, FunnelTrendParams } from './funnel-params.ts';
import { type FunnelPersonStream, rawFunnelStream } from './funnel-query.ts';
import { evaluateOptions } from './funnel-run.ts';
import { DAY_MS } from './params.ts';
import { percentileSorted, rate } from './stats.ts';
import { sortAscending } from './typed-arrays.ts';

/** Whether a person's outcome is counted under `status` at `step`, by the rule of the report's steps. */
export function matchesStatus(outcome: PersonOutcome, p: Pick<FunnelPersonsParams, 'step' | 'status' | 'windowMs' | 'to'>): boolean {
  if (outcome.depth === 0) return false;
  if (p.status === 'reached') return outcome.depth > p.step;
  if (p.step === 0 || outcome.depth !== p.step) return false;
  const open = outcome.start + p.windowMs > p.to;
  return p.status === 'inProgress' ? open : !open;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Distinct ids, uuid and email of the listed persons, in their order. */
async function describePersons(database: SqlDatabase, listed: Array<{ pid: number; start: number; reached: number | null }>): Promise<FunnelPerson[]> {
  if (listed.length === 0) return [];
  const keys = database.fragments.boundRows(
    listed.map((x) => [x.pid]),
    [['pid', 'integer']],
  );
  const rows = await database.all<{ pid: number; uuid: string; properties: unknown; distinct_id: string | null }>(
    sql`SELECT p.id AS pid, p.uuid AS uuid, p.properties AS properties, d.distinct_id AS distinct_id
        FROM ${keys} AS k JOIN persons p ON p.id = k.pid LEFT JOIN person_distinct_ids d ON d.person_id = p.id
        ORDER BY k.ord, d.distinct_id ${database.fragments.binaryCollation}`,
  );
  const byPid = new Map<number, { uuid: string; email: string | null; ids: string[] }>();
  for (const r of rows) {
    let person = byPid.get(Number(r.pid));
    if (!person) {
      const email = parseJsonColumn<Record<string, unknown>>(r.properties)?.email;
      person = { uuid: r.uuid, email: typeof email === 'string' ? email : null, ids: [] };
      byPid.set(Number(r.pid), person);
    }
    if (r.distinct_id !== null) person.ids.push(r.distinct_id);
  }
  return listed.flatMap((x) => {
    const person = byPid.get(x.pid);
    if (!person) return [];
    return [
      { personId: person.uuid, distinctIds: person.ids, email: person.email, enteredAt: iso(x.start), reachedAt: x.reached === null ? null : iso(x.reached) },
    ];
  });
}

/**
 * `GET /api/v1/reports/funnel/persons`: the persons behind one figure of the report, in person order. `stream` (as
 * for every view here) gives each person's events; default: raw events.
 */
export async function funnelPersons(
  database: SqlDatabase,
  p: FunnelPersonsParams,
  stream: FunnelPersonStream = rawFunnelStream(database),
): Promise<FunnelPersonsReport> {
  const opts = evaluateOptions(p);
  const matched: Array<{ pid: number; start: number; reached: number | null }> = [];
  await stream(p, p, (pid, events) => {
    const outcome = evaluatePerson(events, opts);
    if (matchesStatus(outcome, p)) matched.push({ pid, start: outcome.start, reached: p.status === 'reached' ? outcome.times[p.step]! : null });
  });
  return { total: matched.length, persons: await describePersons(database, matched.slice(p.offset, p.offset + p.limit)) };
}

/** Start of the interval holding `ts`: the UTC day, or the ISO week (Monday 00:00 UTC). */
export function intervalStart(ts: number, interval: 'day' | 'week'): number {
  const day = Math.floor(ts / DAY_MS);
  // 1970-01-01 was a Thursday: (day + 3) % 7 is the number of days since Monday.
  return (interval === 'day' ? day : day - ((day + 3) % 7)) * DAY_MS;
}

/**
 * `GET /api/v1/reports/funnel/trend`, PostHog's historical trends: a person enters each interval in which they
 * start an attempt (any step for any-order funnels); `completed` when that interval's attempts reach the last step
 * within the window; `inProgress` when not, and the kept attempt's window is still open at `to`.
 */
export async function funnelTrend(
  database: SqlDatabase,
  p: FunnelTrendParams,
  stream: FunnelPersonStream = rawFunnelStream(database),
): Promise<FunnelTrendReport> {
  const width = p.interval === 'day' ? DAY_MS : 7 * DAY_MS;
  const points = new Map<number, { entered: number; completed: number; inProgress: number }>();
  for (let t = intervalStart(p.from, p.interval); t <= p.to; t += width) points.set(t, { entered: 0, completed: 0, inProgress: 0 });
  const opts = evaluateOptions(p);
  const entryMask = p.order === 'any' ? (1 << p.steps.length) - 1 : 1;
  await stream(p, p, (_pid, events) => {
    const starts = new Set(events.filter((e) => (e.mask & entryMask) !== 0).map((e) => intervalStart(e.ts, p.interval)));
    for (const start of starts) {
      const outcome = evaluatePerson(events, { ...opts, startWithin: { from: Math.max(start, p.from), to: Math.min(start + width - 1, p.to) } });
      const point = points.get(start);
      if (!point || outcome.depth === 0) continue;
      point.entered++;
      if (outcome.depth === p.steps.length) point.completed++;
      else if (outcome.start + p.windowMs > p.to) point.inProgress++;
    }
  });
  return {
    interval: p.interval,
    points: [...points.entries()].map(([start, x]) => ({ start: iso(start), ...x, conversion: rate(x.completed, x.entered) })),
  };
}

/**
 * `GET /api/v1/reports/funnel/time-to-convert`: per person who reached `toStep`, the seconds from their kept
 * attempt's `fromStep` to its `toStep` (any-order: between those completions), in `bins` equal whole-second bins.
 * Average and median leave out conversions of exactly 0 seconds, as PostHog's.
 */
export async function funnelTimeToConvert(
  database: SqlDatabase,
  p: FunnelTimeToConvertParams,
  stream: FunnelPersonStream = rawFunnelStream(database),
): Promise<TimeToConvertReport> {
  const opts = evaluateOptions(p);
  const seconds: number[] = [];
  await stream(p, p, (_pid, events) => {
    const outcome = evaluatePerson(events, opts);
    if (outcome.depth > p.toStep) seconds.push((outcome.times[p.toStep]! - outcome.times[p.fromStep]!) / 1000);
  });
  if (seconds.length === 0) return { bins: [], averageSeconds: null, medianSeconds: null };
  const sorted = sortAscending(Float64Array.from(seconds));
  const min = Math.floor(sorted[0]!);
  const max = sorted[sorted.length - 1]!;
  const width = Math.max(1, Math.ceil((max - min) / p.bins));
  const count = Math.min(p.bins, Math.floor((max - min) / width) + 1);
  const bins = Array.from({ length: count }, (_, i) => ({ fromSeconds: min + i * width, toSeconds: min + (i + 1) * width, persons: 0 }));
  for (const s of sorted) bins[Math.min(Math.floor((s - min) / width), count - 1)]!.persons++;
  const positive = sorted.filter((s) => s > 0);
  return {
    bins,
    averageSeconds: positive.length === 0 ? null : positive.reduce((a, b) => a + b, 0) / positive.length,
    medianSeconds: percentileSorted(positive, 0.5),
  };
}
