/**
 * A milestone funnel's events for every person of the state's base, built once and kept: what the funnel reads of
 * a million developers without walking their milestones again for each report.
 *
 * A funnel over milestones (no page views) gives each person the same events whatever the range: the range only
 * cuts each person's run of them. So those runs are laid out once per base and funnel shape (steps, exclusions,
 * order), persons one after another in id order (`PersonColumns`), and a report only cuts them to its range. The
 * base changes only when the state is reloaded or its overlay folded in (feed-copy.ts); persons reloaded since are
 * few and take the ordinary walk. The result is the walk's own (funnel-from-state.ts): same persons, same events,
 * same order.
 */
import { EventColumns } from '../funnel-columns.ts';
import { grown } from '../typed-arrays.ts';
import { type StateView, stateView } from './snapshot.ts';
import type { PersonState, StateArrays } from './state-arrays.ts';

/** Receives one person's funnel events: [start, end) of `events`, sorted by time. */
export type ColumnsVisitor = (pid: number, events: EventColumns, start: number, end: number) => void;

/** Walks `view`'s persons over `range` as funnel-from-state.ts does, for the funnel the caller fixed. */
export type ColumnsWalk = (view: StateView, range: { from: number; to: number }, onPerson: ColumnsVisitor) => void;

/** The parts of a state view: its base arrays and the persons reloaded since (null: no state any more). */
export interface StateParts {
  base: StateArrays;
  overlay: ReadonlyMap<number, PersonState | null>;
  /** The overlay's ids, sorted. */
  overlayPids: readonly number[];
}

/** Persons' events one after another, in id order: person n's are [starts[n], starts[n + 1]) of `events`. */
export class PersonColumns {
  events = new EventColumns();
  pids = new Float64Array(256);
  starts = new Uint32Array(257);
  persons = 0;

  /** Appends person `pid` with events [start, end) of `from`. */
  add(pid: number, from: EventColumns, start: number, end: number): void {
    const n = this.persons++;
    this.pids = grown(this.pids, n + 1);
    this.starts = grown(this.starts, n + 2);
    this.pids[n] = pid;
    const at = this.events.length;
    const length = at + end - start;
    const e = this.events;
    e.ts = grown(e.ts, length);
    e.id = grown(e.id, length);
    e.mask = grown(e.mask, length);
    e.exclusion = grown(e.exclusion, length);
    // A loop, not subarray copies: a person has a few events, and a subarray each would allocate.
    for (let n = start, to = at; n < end; n++, to++) {
      e.ts[to] = from.ts[n]!;
      e.id[to] = from.id[n]!;
      e.mask[to] = from.mask[n]!;
      e.exclusion[to] = from.exclusion[n]!;
    }
    e.length = length;
    this.starts[n + 1] = length;
  }

  /** Cuts the arrays to size (what a kept copy holds for as long as its base lives). */
  trimmed(): this {
    const e = this.events;
    e.ts = e.ts.slice(0, e.length);
    e.id = e.id.slice(0, e.length);
    e.mask = e.mask.slice(0, e.length);
    e.exclusion = e.exclusion.slice(0, e.length);
    this.pids = this.pids.slice(0, this.persons);
    this.starts = this.starts.slice(0, this.persons + 1);
    return this;
  }
}

/** Funnel shapes kept per base: a report UI asks for a few; each costs about 24 bytes per event kept. */
const SHAPES_PER_BASE = 4;

const kept = new WeakMap<StateArrays, Map<string, PersonColumns>>();

const NO_PERSONS: StateArrays = {
  persons: 0,
  pids: new Float64Array(0),
  starts: new Uint32Array(1),
  firstSuccess: new Float64Array(0),
  times: new Float64Array(0),
  codes: new Uint16Array(0),
};

/** A view of some of `view`'s persons, walked: `base` with `overlay` over it. */
const partView = (view: StateView, base: StateArrays, overlay: ReadonlyMap<number, PersonState | null>, overlayPids: readonly number[]) =>
  stateView(view.names, base, overlay, overlayPids, false);

/** Every base person's events for funnel `shape`, built by `walk` over all time on first use and kept. */
function baseColumns(view: StateView, parts: StateParts, shape: string, walk: ColumnsWalk): PersonColumns {
  let shapes = kept.get(parts.base);
  if (!shapes) kept.set(parts.base, (shapes = new Map()));
  let columns = shapes.get(shape);
  if (!columns) {
    const built = new PersonColumns();
    const all = { from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY };
    walk(partView(view, parts.base, new Map(), []), all, (pid, events, start, end) => built.add(pid, events, start, end));
    columns = built.trimmed();
    if (shapes.size >= SHAPES_PER_BASE) shapes.delete(shapes.keys().next().value!);
    shapes.set(shape, columns);
  }
  return columns;
}

/**
 * Hands each person's funnel events over [from, to] to `onPerson`, in id order, as `walk` over `view` would: base
 * persons from their kept events (`shape` names the funnel; `entry` is the mask of the steps that can start an
 * attempt: a person none of whose events in range has one is left out, as the walk leaves them out), reloaded
 * persons through `walk`.
 */
export function walkKeptColumns(
  view: StateView,
  parts: StateParts,
  shape: string,
  entry: number,
  range: { from: number; to: number },
  walk: ColumnsWalk,
  onPerson: ColumnsVisitor,
): void {
  const base = baseColumns(view, parts, shape, walk);
  const { overlay, overlayPids } = parts;
  const fresh = new PersonColumns();
  if (overlayPids.length > 0) {
    walk(partView(view, NO_PERSONS, overlay, overlayPids), range, (pid, events, start, end) => fresh.add(pid, events, start, end));
  }
  const { pids, starts, events } = base;
  const { ts, mask } = events;
  const { from, to } = range;
  let i = 0;
  let j = 0;
  let o = 0;
  // Loops, not callbacks: this runs once per person.
  for (;;) {
    const basePid = i < base.persons ? pids[i]! : Number.POSITIVE_INFINITY;
    const freshPid = j < fresh.persons ? fresh.pids[j]! : Number.POSITIVE_INFINITY;
    if (freshPid <= basePid) {
      if (freshPid === Number.POSITIVE_INFINITY) break;
      onPerson(freshPid, fresh.events, fresh.starts[j]!, fresh.starts[j + 1]!);
      j++;
      if (freshPid === basePid) i++;
      continue;
    }
    const end = starts[i + 1]!;
    let a = starts[i]!;
    i++;
    // A reloaded person replaces the base's (or has no state any more).
    while (o < overlayPids.length && overlayPids[o]! < basePid) o++;
    if (o < overlayPids.length && overlayPids[o] === basePid) continue;
    while (a < end && ts[a]! < from) a++;
    let b = a;
    let entering = 0;
    for (; b < end && ts[b]! <= to; b++) entering |= mask[b]! & entry;
    if (entering !== 0) onPerson(basePid, events, a, b);
  }
}
