/**
 * The targets of `npm run bench:scale` and their verdicts, from the measured figures. Latency targets are judged on
 * the warm time (median of 3); the cold time (first request after a server start) is printed beside it.
 */
import type { LoadResult } from './burst.ts';
import type { ReportTiming } from './reports.ts';

/** The figures the targets are judged on. */
export interface Measured {
  reports: ReportTiming[];
  /** DuckDB's warm time for the reports that have an equivalent there, by report name. */
  duckMs: Map<string, number>;
  /** Undefined when the run skipped the retention step. */
  bytesPerCallPastRetention: number | undefined;
  peakRssMb: number;
  loads: LoadResult[];
}

/** One target, what was measured against it, and whether it was met. */
export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

/** Latency ceilings in ms, by report name. */
const CEILINGS: Record<string, number> = {
  'funnel (default)': 100,
  ttfsi: 100,
  docs: 500,
  'funnel $pageview': 2_000,
  'api-health': 200,
  'api-health series': 200,
};
/** How many times faster than DuckDB each report with an equivalent must be; 2× unless listed. */
const SPEEDUPS: Record<string, number> = { 'funnel (default)': 10, 'api-health': 5, 'api-health series': 5 };

/** Every target's verdict, in report order, then size, memory and the capture loads. */
export function verdicts(m: Measured): Verdict[] {
  const out: Verdict[] = [];
  const ms = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));
  for (const r of m.reports) {
    const ceiling = CEILINGS[r.name];
    if (ceiling !== undefined) {
      out.push({
        target: `${r.name} ≤ ${ceiling} ms`,
        measured: `warm ${ms(r.warmMs)} ms (cold ${ms(r.coldMs)} ms)`,
        met: r.warmMs <= ceiling,
      });
    }
    const duck = m.duckMs.get(r.name);
    if (duck !== undefined) {
      const need = SPEEDUPS[r.name] ?? 2;
      const speedup = duck / r.warmMs;
      out.push({
        target: `${r.name} ≥ ${need}× faster than DuckDB`,
        measured: `${speedup.toFixed(2)}× (Onramp ÷ DuckDB ${(r.warmMs / duck).toFixed(2)}; DuckDB ${ms(duck)} ms)`,
        met: speedup >= need,
      });
    }
  }
  if (m.bytesPerCallPastRetention !== undefined) {
    out.push({
      target: '≤ 20 bytes per call past retention',
      measured: `${m.bytesPerCallPastRetention.toFixed(1)} bytes`,
      met: m.bytesPerCallPastRetention <= 20,
    });
  }
  out.push({ target: 'server RSS ≤ 1 GB', measured: `peak ${m.peakRssMb.toFixed(0)} MB`, met: m.peakRssMb <= 1024 });
  for (const load of m.loads) {
    out.push({
      target: `report after ${load.label} ≤ 2 s`,
      measured: `${(load.reportAfterMs / 1000).toFixed(2)} s (backlog ${load.backlogEvents.toLocaleString('en')} events)`,
      met: load.reportAfterMs <= 2_000,
    });
  }
  return out;
}
