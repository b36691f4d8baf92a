/**
 * Runs the DuckDB equivalents of the timed reports on the same events, prints both answers side by side and the time
 * ratios, and fails the run when an exact figure differs: the funnels' per-step counts, TTFSI's completed count and
 * median, API health's call count.
 */
import { DEFAULT_STEPS } from '../../../api/analytics/contract.ts';
import type { DuckQueries, DuckTiming } from './duckdb.ts';
import { DAY } from './history.ts';
import { PAGEVIEW_STEPS, type ReportTiming } from './reports.ts';

const WINDOW_MS = 14 * DAY;

/** Returns DuckDB's warm time per report name; throws after printing when a compared figure differs. */
export async function compareWithDuck(
  queries: DuckQueries,
  timings: readonly ReportTiming[],
  range: { from: number; to: number },
  log: (line: string) => void,
): Promise<Map<string, number>> {
  const byName = new Map(timings.map((t) => [t.name, t]));
  const duckMs = new Map<string, number>();
  const differences: string[] = [];
  const compare = (name: string, duck: DuckTiming, onramp: string, reference: string, exact = true) => {
    const ours = byName.get(name)!;
    duckMs.set(name, duck.warmMs);
    const same = onramp === reference;
    if (!same && exact) differences.push(`${name}: Onramp ${onramp}, DuckDB ${reference}`);
    log(
      `  ${name.padEnd(20)} Onramp ${onramp} | DuckDB ${reference}${same ? ' (same)' : ' (DIFFERENT)'} | DuckDB first ${duck.coldMs.toFixed(0)} ms, ` +
        `warm ${duck.warmMs.toFixed(0)} ms; Onramp ÷ DuckDB warm ${(ours.warmMs / duck.warmMs).toFixed(2)}, cold ${(ours.coldMs / duck.coldMs).toFixed(2)}`,
    );
  };
  const stepCounts = (t: ReportTiming) => (t.body.steps as Array<{ count: number }>).map((s) => s.count).join(' → ');
  const duckCounts = (d: DuckTiming) => Object.values(d.rows[0]!).map(Number).join(' → ');

  log('DuckDB (same events, file database, 2 threads), equivalent queries:');
  const funnel = await queries.funnel(DEFAULT_STEPS, range.from, range.to, WINDOW_MS);
  compare('funnel (default)', funnel, stepCounts(byName.get('funnel (default)')!), duckCounts(funnel));
  const pageview = await queries.funnel(PAGEVIEW_STEPS, range.from, range.to, WINDOW_MS);
  compare('funnel $pageview', pageview, stepCounts(byName.get('funnel $pageview')!), duckCounts(pageview));

  const ttfsi = await queries.ttfsi(range.from, range.to);
  const ours = byName.get('ttfsi')!.body as { completed: number; percentiles: { p50: number | null } };
  const row = ttfsi.rows[0]!;
  // Both interpolate the same sorted seconds linearly; printed to the millisecond.
  const p50 = (v: unknown) => (v === null || v === undefined ? 'none' : Number(v).toFixed(3));
  compare('ttfsi', ttfsi, `completed ${ours.completed}, p50 ${p50(ours.percentiles.p50)} s`, `completed ${Number(row.completed)}, p50 ${p50(row.p50)} s`);

  const health = await queries.apiHealth(range.from, range.to);
  const healthCalls = health.rows.reduce((n, r) => n + Number(r.calls), 0);
  compare('api-health', health, `${(byName.get('api-health')!.body.overall as { calls: number }).calls} calls`, `${healthCalls} calls`);

  const series = await queries.series(range.from, range.to);
  const seriesCalls = series.rows.reduce((n, r) => n + Number(r.calls), 0);
  const points = byName.get('api-health series')!.body.points as Array<{ calls: number }>;
  compare('api-health series', series, `${points.reduce((n, p) => n + p.calls, 0)} calls`, `${seriesCalls} calls`, false);

  if (differences.length > 0) throw new Error(`bench:scale: Onramp and DuckDB disagree:\n  ${differences.join('\n  ')}`);
  return duckMs;
}
