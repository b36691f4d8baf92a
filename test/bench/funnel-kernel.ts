/**
 * `npm run bench:kernel`: the funnel report's evaluation over the per-developer state in memory, at a number of
 * developers no bench:scale run reaches on this machine in its time (`BENCH_DEVELOPERS`, default 1,000,000).
 *
 * Builds the state's typed arrays directly (no database): each developer signs up at a random instant of 60 days,
 * most create a key and then make a first successful call within hours or days, and everyone has a few other
 * milestones (doc feedback, logins) the funnel does not read. Times the two periods of the default funnel report
 * (`runFunnelPeriods` over the state's columns, as the server runs it, flags' evidence aside) and prints the median
 * of 5 after a warm-up, with the same pass at a tenth of the developers as the reference measured in this run.
 */
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import type { FunnelPersonStream } from '../../api/analytics/funnel-query.ts';
import { previousPeriod } from '../../api/analytics/funnel-report.ts';
import { runFunnelPeriods } from '../../api/analytics/funnel-run.ts';
import { parseTtfsiParams } from '../../api/analytics/params.ts';
import { funnelColumnsFromState } from '../../api/analytics/person-state/funnel-from-state.ts';
import { ttfsiFromState } from '../../api/analytics/person-state/reports.ts';
import { type StateView, stateView } from '../../api/analytics/person-state/snapshot.ts';
import { createNameCodes, createStateBuilder } from '../../api/analytics/person-state/state-arrays.ts';
import { ttfsiReport } from '../../api/analytics/ttfsi-report.ts';
import type { SqlDatabase } from '../../api/storage/sql/interface.ts';
import { DAY, END, prng } from './scale/history.ts';
import { median } from './scale/measure.ts';

/** The state of `developers` synthetic developers. */
function syntheticState(developers: number): StateView {
  const names = createNameCodes();
  const [signup, key, feedback, login] = ['signed_up', 'api_key_created', 'doc_feedback', 'logged_in'].map((n) => names.intern(n)) as [
    number,
    number,
    number,
    number,
  ];
  const random = prng(42);
  const builder = createStateBuilder();
  const events: Array<[number, number]> = [];
  for (let pid = 1; pid <= developers; pid++) {
    events.length = 0;
    const at = END - Math.floor(random() * 60 * DAY);
    events.push([at, signup]);
    let success = Number.NaN;
    if (random() < 0.9) {
      const keyAt = at + Math.floor(random() * 3 * DAY);
      events.push([keyAt, key]);
      if (random() < 0.85) success = keyAt + Math.floor(random() * 2 * DAY);
    }
    for (let n = Math.floor(random() * 5); n > 0; n--) events.push([at + Math.floor(random() * 20 * DAY), random() < 0.5 ? feedback : login]);
    events.sort((a, b) => a[0] - b[0]);
    builder.person(pid, success);
    for (const [ts, code] of events) builder.milestone(ts, code);
  }
  return stateView(names, builder.finish());
}

/** The default funnel report's two periods over `view`; resolves to the milliseconds taken and the step counts. */
async function timeRun(view: StateView) {
  const p = parseFunnelParams({ from: String(END - 30 * DAY), to: String(END) });
  const stream = Object.assign(async () => {}, {
    columns: async (...args: Parameters<NonNullable<FunnelPersonStream['columns']>>) =>
      funnelColumnsFromState(view, undefined, args[0], args[1], args[2], args[3]),
  }) as FunnelPersonStream;
  const started = performance.now();
  const [current] = await runFunnelPeriods(undefined as unknown as SqlDatabase, p, [previousPeriod(p.from, p.to)], stream);
  return { ms: performance.now() - started, counts: current!.total.reached };
}

/** The TTFSI report's two periods over `view` (rows from the state, shaped as the server shapes them). */
async function timeTtfsi(view: StateView) {
  const p = parseTtfsiParams({ from: String(END - 30 * DAY), to: String(END) });
  const started = performance.now();
  const report = await ttfsiReport(undefined as unknown as SqlDatabase, p, async (q, periods, onRow) => {
    ttfsiFromState(view, q, periods, onRow);
  });
  return { ms: performance.now() - started, completed: report.completed };
}

async function measure(developers: number) {
  const view = syntheticState(developers);
  await timeRun(view);
  await timeTtfsi(view);
  const runs: number[] = [];
  const ttfsiRuns: number[] = [];
  let counts: number[] = [];
  let completed = 0;
  for (let i = 0; i < 5; i++) {
    const r = await timeRun(view);
    runs.push(r.ms);
    counts = r.counts;
    const t = await timeTtfsi(view);
    ttfsiRuns.push(t.ms);
    completed = t.completed;
  }
  return { ms: median(runs), counts, ttfsiMs: median(ttfsiRuns), completed };
}

const developers = Number(process.env.BENCH_DEVELOPERS ?? 1_000_000);
const reference = await measure(Math.floor(developers / 10));
const full = await measure(developers);
const fmt = (n: number) => n.toLocaleString('en');
console.log(`bench:kernel: default funnel report's two periods over the per-developer state in memory (median of 5)`);
console.log(`  ${fmt(Math.floor(developers / 10))} developers: ${reference.ms.toFixed(1)} ms (counts ${reference.counts.join(' → ')})`);
console.log(
  `  ${fmt(developers)} developers: ${full.ms.toFixed(1)} ms (counts ${full.counts.join(' → ')}), ${(full.ms / reference.ms).toFixed(1)}× the reference`,
);
console.log(`TTFSI report's two periods over the same state (median of 5)`);
console.log(`  ${fmt(Math.floor(developers / 10))} developers: ${reference.ttfsiMs.toFixed(1)} ms (${fmt(reference.completed)} completed)`);
console.log(
  `  ${fmt(developers)} developers: ${full.ttfsiMs.toFixed(1)} ms (${fmt(full.completed)} completed), ${(full.ttfsiMs / reference.ttfsiMs).toFixed(1)}× the reference`,
);
