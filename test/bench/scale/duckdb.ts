/**
 * The DuckDB reference of `npm run bench:scale`: the same events, loaded while they are generated, and the
 * equivalent of each report written as DuckDB SQL: the exact window funnel (PostHog's ordered funnel: the person
 * counts at the deepest step some chain of step events in time order reaches within the window of its step-1 event,
 * ties allowed), TTFSI percentiles, and API health's per-endpoint percentiles and its series.
 */
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FlatEvent } from './history.ts';
import { median } from './measure.ts';

/**
 * A DuckDB database file in `dir` with one `events` table, filled row by row while the history is generated.
 * With `reuse`, opens the table a previous run of the same history left in `dir` (nothing is appended).
 */
export async function openDuckReference(dir: string, opts: { reuse?: boolean } = {}) {
  const instance = await DuckDBInstance.create(join(dir, 'reference.duckdb'));
  const connection = await instance.connect();
  if (!opts.reuse) {
    await connection.run('CREATE TABLE events (person INTEGER, ts BIGINT, event VARCHAR, endpoint VARCHAR, status SMALLINT, duration DOUBLE)');
  }
  const appender = opts.reuse ? null : await connection.createAppender('events');
  return {
    append(e: FlatEvent) {
      if (!appender) throw new Error('the DuckDB reference was reopened from a previous run: nothing can be appended');
      appender.appendInteger(e.person);
      appender.appendBigInt(BigInt(e.ts));
      appender.appendVarchar(e.event);
      if (e.endpoint === null) appender.appendNull();
      else appender.appendVarchar(e.endpoint);
      if (e.status === null) appender.appendNull();
      else appender.appendSmallInt(e.status);
      if (e.duration === null) appender.appendNull();
      else appender.appendDouble(e.duration);
      appender.endRow();
    },
    /** Ends the load (and checkpoints, so the queries read a settled file); returns the query side. */
    async finish() {
      appender?.closeSync();
      await connection.run('CHECKPOINT');
      return duckQueries(connection);
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * Step rows of one funnel step as a subquery `(person, ts)`: an event name in range, or `first_successful_call`,
 * each person's earliest 2xx call over all time when it falls in range (as Onramp defines it).
 */
function stepRows(step: string, from: number, to: number): string {
  if (step === 'first_successful_call') {
    return `SELECT person, ts FROM (SELECT person, MIN(ts) AS ts FROM events WHERE event = 'api_call' AND status BETWEEN 200 AND 299 GROUP BY person) WHERE ts BETWEEN ${from} AND ${to}`;
  }
  return `SELECT person, ts FROM events WHERE event = '${step.replaceAll("'", "''")}' AND ts BETWEEN ${from} AND ${to}`;
}

/**
 * The exact window funnel as ASOF joins: `c1` holds step-1 rows with start = ts; `c{k}` joins each step-k row to
 * the latest row of `c{k-1}` at or before it, which carries the latest possible start of a chain ending there (the
 * start only grows with the chain's last time). A person reaches step k when some `c{k}` row is within the window.
 */
export function windowFunnelSql(steps: readonly string[], from: number, to: number, windowMs: number): string {
  const ctes = [`c1 AS (SELECT person, ts, ts AS start FROM (${stepRows(steps[0]!, from, to)}))`];
  for (let k = 2; k <= steps.length; k++) {
    ctes.push(
      `c${k} AS (SELECT s.person, s.ts, p.start FROM (${stepRows(steps[k - 1]!, from, to)}) s ASOF JOIN c${k - 1} p ON s.person = p.person AND s.ts >= p.ts)`,
    );
  }
  const counts = steps.map(
    (_, i) => `(SELECT CAST(COUNT(DISTINCT person) AS INTEGER) FROM c${i + 1}${i === 0 ? '' : ` WHERE ts - start <= ${windowMs}`}) AS step${i + 1}`,
  );
  return `WITH ${ctes.join(',\n')} SELECT ${counts.join(', ')}`;
}

/** TTFSI: first signup in range, first 2xx call over all time at or after it and by `to`; seconds, interpolated. */
function ttfsiSql(from: number, to: number): string {
  return `WITH s AS (SELECT person, MIN(ts) AS st FROM events WHERE event = 'signed_up' AND ts BETWEEN ${from} AND ${to} GROUP BY person),
    f AS (SELECT person, MIN(ts) AS fs FROM events WHERE event = 'api_call' AND status BETWEEN 200 AND 299 GROUP BY person),
    d AS (SELECT CAST(f.fs - s.st AS DOUBLE) / 1000 AS seconds FROM s JOIN f USING (person) WHERE f.fs >= s.st AND f.fs <= ${to})
    SELECT CAST(COUNT(*) AS INTEGER) AS completed, quantile_cont(seconds, 0.5) AS p50, quantile_cont(seconds, 0.9) AS p90 FROM d`;
}

const FAILED = 'status >= 400';
/** API health: calls, errors (5xx and 4xx but 429) and p50/p95/p99 per endpoint over the range. */
function apiHealthSql(from: number, to: number): string {
  return `SELECT endpoint, CAST(COUNT(*) AS INTEGER) AS calls, CAST(SUM(CASE WHEN status >= 500 OR (${FAILED} AND status <> 429) THEN 1 ELSE 0 END) AS INTEGER) AS errors,
    quantile_cont(duration, [0.5, 0.95, 0.99]) AS p FROM events WHERE event = 'api_call' AND ts BETWEEN ${from} AND ${to} GROUP BY endpoint`;
}

/** The series: per hour, calls, errors and p50/p95/p99 over the range. */
function seriesSql(from: number, to: number): string {
  return `SELECT ts // 3600000 AS hour, CAST(COUNT(*) AS INTEGER) AS calls, CAST(SUM(CASE WHEN ${FAILED} THEN 1 ELSE 0 END) AS INTEGER) AS failed,
    quantile_cont(duration, [0.5, 0.95, 0.99]) AS p FROM events WHERE event = 'api_call' AND ts BETWEEN ${from} AND ${to} GROUP BY hour ORDER BY hour`;
}

/** A timed DuckDB query: its rows, and its cold (first) and warm (median of 3 more) times. */
export interface DuckTiming {
  rows: Record<string, unknown>[];
  coldMs: number;
  warmMs: number;
}

function duckQueries(connection: DuckDBConnection) {
  async function timed(query: string): Promise<DuckTiming> {
    let t = performance.now();
    const reader = await connection.runAndReadAll(query);
    const coldMs = performance.now() - t;
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      await connection.runAndReadAll(query);
      runs.push(performance.now() - t);
    }
    return { rows: reader.getRowObjectsJS() as Record<string, unknown>[], coldMs, warmMs: median(runs) };
  }
  return {
    funnel: (steps: readonly string[], from: number, to: number, windowMs: number) => timed(windowFunnelSql(steps, from, to, windowMs)),
    ttfsi: (from: number, to: number) => timed(ttfsiSql(from, to)),
    apiHealth: (from: number, to: number) => timed(apiHealthSql(from, to)),
    series: (from: number, to: number) => timed(seriesSql(from, to)),
  };
}

/** The timed DuckDB equivalents of the reports. */
export type DuckQueries = ReturnType<typeof duckQueries>;
