/**
 * The funnel report's computation: each person evaluated once per period (the report's range and the previous
 * period, streamed together), tallied overall and per breakdown value.
 */
import type { SqlDatabase } from '../storage/sql/interface.ts';
import { addOutcome, emptyTally, type FunnelTally, type TallyOutcome } from './funnel.ts';
import { columnsOutcome, evaluatePlainEvents, plainOptions } from './funnel-columns.ts';
import { attributionValues, type EvaluateOptions, evaluatePerson, type FunnelEvent } from './funnel-evaluate.ts';
import type { FunnelParams } from './funnel-params.ts';
import { type FunnelPersonStream, rawFunnelStream } from './funnel-query.ts';
import { grown } from './typed-arrays.ts';

/**
 * The persons who stalled, kept compactly for the evidence queries: who, at which depth, since when (their kept
 * attempt's step-1 time). Typed arrays growing by doubling: a report at a million developers adds hundreds of
 * thousands.
 */
export class StallIndex {
  pids = new Float64Array(256);
  depths = new Uint8Array(256);
  starts = new Float64Array(256);
  length = 0;

  push(pid: number, depth: number, start: number): void {
    if (this.length === this.pids.length) this.grow();
    const n = this.length++;
    this.pids[n] = pid;
    this.depths[n] = depth;
    this.starts[n] = start;
  }

  private grow(): void {
    this.pids = grown(this.pids, this.length + 1);
    this.depths = grown(this.depths, this.length + 1);
    this.starts = grown(this.starts, this.length + 1);
  }
}

export interface FunnelRun {
  total: FunnelTally;
  byValue: Map<string | null, FunnelTally> | undefined;
  stalls: StallIndex;
}

/** The evaluation options of a funnel. */
export function evaluateOptions(p: FunnelParams): EvaluateOptions {
  return { steps: p.steps.length, windowMs: p.windowMs, order: p.order };
}

/**
 * Tallies a person under the breakdown: once under their first- or last-touch value, or, for step attribution,
 * once per value seen on their step-k events, evaluated with only that value's step-k events (PostHog).
 */
function tallyBreakdown(
  p: FunnelParams,
  byValue: Map<string | null, FunnelTally>,
  events: FunnelEvent[],
  plain: ReturnType<typeof evaluatePerson>,
  to: number,
): void {
  const attribution = p.breakdownAttribution ?? 'first_touch';
  const step = p.breakdownAttributionStep ?? 0;
  for (const value of attributionValues(events, attribution, step)) {
    const outcome = attribution === 'step' ? evaluatePerson(events, { ...evaluateOptions(p), attribution: { step, value } }) : plain;
    if (outcome.depth === 0) continue;
    let tally = byValue.get(value);
    if (!tally) byValue.set(value, (tally = emptyTally(p.steps.length)));
    addOutcome(tally, outcome, p.windowMs, to);
  }
}

/**
 * Runs the periods over a source's columns (the per-person state): each period's events are found in place and
 * evaluated without allocating in the plain case (funnel-columns.ts), as a list otherwise. Resolves to false, with
 * nothing tallied, when the source has no columns for `p`.
 */
async function runOnColumns(
  stream: FunnelPersonStream,
  p: FunnelParams,
  union: { from: number; to: number },
  periods: Array<{ from: number; to: number }>,
  runs: FunnelRun[],
  tally: (run: FunnelRun, pid: number, outcome: TallyOutcome, to: number) => void,
): Promise<boolean> {
  if (!stream.columns) return false;
  const opts = evaluateOptions(p);
  const plain = plainOptions(opts);
  const { steps, windowMs } = opts;
  const outcome = columnsOutcome();
  // Each period's bounds: instants at which its events start and stop.
  const cuts = periods.flatMap(({ from, to }) => [from, to + 1]).sort((a, b) => a - b);
  return stream.columns(
    p,
    union,
    (pid, events, start, end) => {
      const { ts } = events;
      for (let i = 0; i < periods.length; i++) {
        const { from, to } = periods[i]!;
        let a = start;
        while (a < end && ts[a]! < from) a++;
        let b = a;
        while (b < end && ts[b]! <= to) b++;
        if (a === b) continue;
        if (plain && evaluatePlainEvents(events, a, b, steps, windowMs, outcome)) tally(runs[i]!, pid, outcome, to);
        else tally(runs[i]!, pid, evaluatePerson(events.events(a, b), opts), to);
      }
    },
    cuts,
  );
}

/** The events of `events` (sorted by time) inside [from, to]. */
function within(events: FunnelEvent[], period: { from: number; to: number }): FunnelEvent[] {
  let i = 0;
  while (i < events.length && events[i]!.ts < period.from) i++;
  let j = i;
  while (j < events.length && events[j]!.ts <= period.to) j++;
  return i === 0 && j === events.length ? events : events.slice(i, j);
}

/**
 * Runs the funnel over `[p.from, p.to]` and over `extra` periods in one pass: rows are streamed once over the union
 * of the ranges and each person's events are split per period (every period keeps its own [from, to] rule). The
 * breakdown is computed for the first period only. `stream` gives each person's events (default: raw events).
 */
export async function runFunnelPeriods(
  database: SqlDatabase,
  p: FunnelParams,
  extra: Array<{ from: number; to: number }>,
  stream: FunnelPersonStream = rawFunnelStream(database),
): Promise<FunnelRun[]> {
  const periods = [{ from: p.from, to: p.to }, ...extra];
  const union = { from: Math.min(...periods.map((x) => x.from)), to: Math.max(...periods.map((x) => x.to)) };
  const steps = p.steps.length;
  const opts = evaluateOptions(p);
  const runs: FunnelRun[] = periods.map((_, i) => ({
    total: emptyTally(steps),
    byValue: i === 0 && p.breakdown !== undefined ? new Map<string | null, FunnelTally>() : undefined,
    stalls: new StallIndex(),
  }));
  const tallyRun = (run: FunnelRun, pid: number, outcome: TallyOutcome, to: number) => {
    if (outcome.depth === 0) return;
    addOutcome(run.total, outcome, p.windowMs, to);
    if (outcome.depth < steps) run.stalls.push(pid, outcome.depth, outcome.start);
  };
  if (p.breakdown === undefined && (await runOnColumns(stream, p, union, periods, runs, tallyRun))) return runs;
  await stream(p, union, (pid, events) => {
    // Loops, not callbacks: this runs once per person, where a closure each costs more than the evaluation.
    for (let i = 0; i < periods.length; i++) {
      const inside = periods.length === 1 ? events : within(events, periods[i]!);
      if (inside.length === 0) continue;
      const run = runs[i]!;
      const outcome = evaluatePerson(inside, opts);
      if (run.byValue) tallyBreakdown(p, run.byValue, inside, outcome, periods[i]!.to);
      tallyRun(run, pid, outcome, periods[i]!.to);
    }
  });
  return runs;
}
