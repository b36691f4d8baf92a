/**
 * One person's funnel events as columns (typed arrays reused from person to person) and the evaluation of the most
 * common funnel on them without allocating: an ordered funnel with no exclusion, step attribution or trend interval,
 * and no instant at which events with different steps meet. There every attempt is clean, and PostHog's steps.rs
 * rules (funnel-evaluate.ts) reduce to a few typed-array updates per event. The report over per-person state
 * (person-state/funnel-from-state.ts) fills the columns straight from its arrays; `evaluatePerson` copies an event
 * list into them, so both take the same code.
 */
import type { EvaluateOptions, FunnelEvent } from './funnel-evaluate.ts';
import { grown } from './typed-arrays.ts';

/** Most steps a funnel has (funnel-params.ts). */
export const MAX_STEPS = 10;

/**
 * One person's events sorted by time: time, step mask, exclusion mask and id per event (see `FunnelEvent`). The
 * arrays are reused: an instance describes one person at a time, and grows by doubling.
 */
export class EventColumns {
  ts = new Float64Array(64);
  mask = new Int32Array(64);
  exclusion = new Int32Array(64);
  id = new Float64Array(64);
  length = 0;

  /** Empties the columns for the next person. */
  reset(): void {
    this.length = 0;
  }

  /** Appends one event (at or after the last one's time). */
  push(ts: number, id: number, mask: number, exclusion: number): void {
    if (this.length === this.ts.length) this.grow();
    const n = this.length++;
    this.ts[n] = ts;
    this.id[n] = id;
    this.mask[n] = mask;
    this.exclusion[n] = exclusion;
  }

  /** Makes room for one more event (apart from `push`, which stays small enough to inline). */
  private grow(): void {
    this.ts = grown(this.ts, this.length + 1);
    this.id = grown(this.id, this.length + 1);
    this.mask = grown(this.mask, this.length + 1);
    this.exclusion = grown(this.exclusion, this.length + 1);
  }

  /** Events [start, end) as `FunnelEvent`s, for the evaluations that take lists (source −1: the first successful call). */
  events(start = 0, end = this.length): FunnelEvent[] {
    const out: FunnelEvent[] = [];
    for (let n = start; n < end; n++) {
      const id = this.id[n]!;
      out.push({ ts: this.ts[n]!, id, mask: this.mask[n]!, exclusionMask: this.exclusion[n]!, source: id === -1 ? -1 : 0 });
    }
    return out;
  }
}

/** An outcome written in place: `depth` steps reached (0: not counted), the kept attempt's step-1 time and step times. */
export interface ColumnsOutcome {
  depth: number;
  start: number;
  times: Float64Array;
}

/** A fresh outcome to evaluate into. */
export const columnsOutcome = (): ColumnsOutcome => ({ depth: 0, start: Number.NaN, times: new Float64Array(MAX_STEPS) });

/** `starts[d]`: step-1 time of the latest attempt at depth d (NaN: none); its step times are row d of `attemptTimes`. */
const starts = new Float64Array(MAX_STEPS + 1);
const attemptTimes = new Float64Array((MAX_STEPS + 1) * MAX_STEPS);

/** Whether events [i, j) all have the masks of event i. */
function sameMasks(c: EventColumns, i: number, j: number): boolean {
  for (let n = i + 1; n < j; n++) if (c.mask[n] !== c.mask[i] || c.exclusion[n] !== c.exclusion[i]) return false;
  return true;
}

/** Whether funnel options `o` are the plain case's (the events decide the rest). */
export const plainOptions = (o: EvaluateOptions) => o.order === 'ordered' && !o.attribution && !o.startWithin && o.steps <= MAX_STEPS;

/**
 * Evaluates events [from, to) of `c` into `out` when the funnel and the events are the plain case (see the module
 * comment); returns false, with `out` undefined, as soon as they are not, and the general evaluation must run.
 */
export function evaluatePlain(c: EventColumns, from: number, to: number, o: EvaluateOptions, out: ColumnsOutcome): boolean {
  return plainOptions(o) && evaluatePlainEvents(c, from, to, o.steps, o.windowMs, out);
}

/** {@link evaluatePlain} once the options are known to be the plain case's: the events decide. */
export function evaluatePlainEvents(c: EventColumns, from: number, to: number, steps: number, windowMs: number, out: ColumnsOutcome): boolean {
  const { ts: times, mask, exclusion } = c;
  for (let d = 0; d <= steps; d++) starts[d] = Number.NaN;
  let keptDepth = 0;
  let keptStart = Number.NaN;
  let i = from;
  while (i < to) {
    const ts = times[i]!;
    let j = i + 1;
    while (j < to && times[j] === ts) j++;
    if (j - i > 1 && !sameMasks(c, i, j)) return false;
    starts[0] = ts;
    for (let n = i; n < j; n++) {
      if (exclusion[n] !== 0) return false;
      const m = mask[n]!;
      for (let k = steps - 1; k >= 0; k--) {
        if ((m & (1 << k)) === 0) continue;
        const start = starts[k]!;
        if (Number.isNaN(start) || ts - start > windowMs || starts[k + 1] === start) continue;
        starts[k + 1] = start;
        const row = k * MAX_STEPS;
        const next = row + MAX_STEPS;
        for (let t = 0; t < k; t++) attemptTimes[next + t] = attemptTimes[row + t]!;
        attemptTimes[next + k] = ts;
        if (k + 1 > keptDepth) {
          keptDepth = k + 1;
          keptStart = start;
          for (let t = 0; t <= k; t++) out.times[t] = attemptTimes[next + t]!;
        }
      }
    }
    i = j;
    if (keptDepth === steps) break;
  }
  out.depth = keptDepth;
  out.start = keptDepth === 0 ? Number.NaN : keptStart;
  return true;
}
