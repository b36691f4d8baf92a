/**
 * The in-memory form of the per-person state, pure: persons sorted by id, each with a contiguous run of milestones
 * sorted by (time, event id) in typed arrays (8 bytes of time and 2 of name code per milestone; 20 bytes per
 * person: id, run start, first successful call), so a report walks it without allocating per milestone.
 */

import { grown } from '../typed-arrays.ts';

/** A name code no milestone name gets once the dictionary is full (see {@link createNameCodes}). */
const OVERFLOW = 0xffff;

/** Milestone names as 16-bit codes, assigned in the order names are first seen; codes never change. */
export interface NameCodes {
  /** The code of `name`, given one when new (or {@link OVERFLOW} once 65,535 names have codes). */
  intern(name: string): number;
  /** The code of `name`, or undefined when no milestone of that name was seen. */
  lookup(name: string): number | undefined;
  /** Number of codes given. */
  readonly size: number;
  /** The names that have codes, each at the index of its code. */
  readonly names: readonly string[];
  /** Whether some name got no code of its own: a name without a code may then still have milestones. */
  readonly overflowed: boolean;
}

/** An empty name dictionary. */
export function createNameCodes(): NameCodes {
  const codes = new Map<string, number>();
  const names: string[] = [];
  let overflowed = false;
  return {
    intern(name) {
      let code = codes.get(name);
      if (code !== undefined) return code;
      if (codes.size >= OVERFLOW) {
        overflowed = true;
        return OVERFLOW;
      }
      code = codes.size;
      codes.set(name, code);
      names.push(name);
      return code;
    },
    lookup: (name) => codes.get(name),
    get size() {
      return codes.size;
    },
    names,
    get overflowed() {
      return overflowed;
    },
  };
}

/** Every person's state, sorted by person id; person i's milestones are [starts[i], starts[i + 1]). */
export interface StateArrays {
  persons: number;
  pids: Float64Array;
  starts: Uint32Array;
  /** Time of the person's first successful call, NaN when none. */
  firstSuccess: Float64Array;
  times: Float64Array;
  codes: Uint16Array;
}

/** One person's state on its own (a person reloaded since the arrays were built). */
export interface PersonState {
  times: Float64Array;
  codes: Uint16Array;
  firstSuccess: number;
}

/** Called per person: their milestones are `times` / `codes` over [start, end). */
export type PersonVisitor = (pid: number, times: Float64Array, codes: Uint16Array, start: number, end: number, firstSuccess: number) => void;

/**
 * Builds {@link StateArrays} from persons given in ascending id order, each person's milestones in (time, event
 * id) order, growing its arrays by doubling.
 */
export function createStateBuilder() {
  let pids = new Float64Array(1024);
  let starts = new Uint32Array(1025);
  let firstSuccess = new Float64Array(1024);
  let times = new Float64Array(4096);
  let codes = new Uint16Array(4096);
  let persons = 0;
  let milestones = 0;
  const open = (pid: number, success: number) => {
    pids = grown(pids, persons + 1);
    firstSuccess = grown(firstSuccess, persons + 1);
    starts = grown(starts, persons + 2);
    pids[persons] = pid;
    firstSuccess[persons] = success;
    starts[persons] = milestones;
    persons++;
    starts[persons] = milestones;
  };
  return {
    /** The id of the last person added, or -Infinity. */
    get lastPid() {
      return persons === 0 ? Number.NEGATIVE_INFINITY : pids[persons - 1]!;
    },
    /** Starts person `pid` (greater than every id so far). */
    person(pid: number, success = Number.NaN) {
      open(pid, success);
    },
    /** Sets the first successful call of the last person. */
    setFirstSuccess(success: number) {
      firstSuccess[persons - 1] = success;
    },
    /** Adds a milestone to the last person. */
    milestone(ts: number, code: number) {
      times = grown(times, milestones + 1);
      codes = grown(codes, milestones + 1);
      times[milestones] = ts;
      codes[milestones] = code;
      milestones++;
      starts[persons] = milestones;
    },
    /** Adds a person with their milestones `times` / `codes` over [start, end). */
    copy(pid: number, from: { times: Float64Array; codes: Uint16Array }, start: number, end: number, success: number) {
      open(pid, success);
      times = grown(times, milestones + end - start);
      codes = grown(codes, milestones + end - start);
      times.set(from.times.subarray(start, end), milestones);
      codes.set(from.codes.subarray(start, end), milestones);
      milestones += end - start;
      starts[persons] = milestones;
    },
    /** The arrays, cut to size. */
    finish(): StateArrays {
      return {
        persons,
        pids: pids.slice(0, persons),
        starts: starts.slice(0, persons + 1),
        firstSuccess: firstSuccess.slice(0, persons),
        times: times.slice(0, milestones),
        codes: codes.slice(0, milestones),
      };
    },
  };
}

/**
 * Steps through every person of `base` and of `overlay` in id order; an overlay entry replaces the base person of
 * the same id (null: the person has no state any more). After `next()` returns true, the fields describe the person:
 * their milestones are `times` / `codes` over [start, end). A class, so that walking two of them side by side (the
 * funnel over milestones and page views) costs no closure per person.
 */
export class PersonCursor {
  pid = Number.NaN;
  times: Float64Array;
  codes: Uint16Array;
  start = 0;
  end = 0;
  firstSuccess = Number.NaN;
  private i = 0;
  private j = 0;
  private readonly base: StateArrays;
  private readonly overlay: ReadonlyMap<number, PersonState | null>;
  private readonly overlayPids: readonly number[];

  /** `overlayPids` is the overlay's ids, sorted. */
  constructor(base: StateArrays, overlay: ReadonlyMap<number, PersonState | null>, overlayPids: readonly number[]) {
    this.base = base;
    this.overlay = overlay;
    this.overlayPids = overlayPids;
    this.times = base.times;
    this.codes = base.codes;
  }

  /** Moves to the next person; false once every person was visited (then `pid` is Infinity). */
  next(): boolean {
    const { base, overlayPids } = this;
    for (;;) {
      const basePid = this.i < base.persons ? base.pids[this.i]! : Number.POSITIVE_INFINITY;
      const overlayPid = this.j < overlayPids.length ? overlayPids[this.j]! : Number.POSITIVE_INFINITY;
      if (basePid === Number.POSITIVE_INFINITY && overlayPid === Number.POSITIVE_INFINITY) {
        this.pid = Number.POSITIVE_INFINITY;
        return false;
      }
      if (overlayPid <= basePid) {
        this.j++;
        if (overlayPid === basePid) this.i++;
        const state = this.overlay.get(overlayPid);
        if (!state) continue;
        this.set(overlayPid, state.times, state.codes, 0, state.times.length, state.firstSuccess);
        return true;
      }
      const i = this.i++;
      this.set(basePid, base.times, base.codes, base.starts[i]!, base.starts[i + 1]!, base.firstSuccess[i]!);
      return true;
    }
  }

  private set(pid: number, times: Float64Array, codes: Uint16Array, start: number, end: number, firstSuccess: number): void {
    this.pid = pid;
    this.times = times;
    this.codes = codes;
    this.start = start;
    this.end = end;
    this.firstSuccess = firstSuccess;
  }
}

/** Visits every person of `base` and of `overlay` in id order, as {@link PersonCursor} steps through them. */
export function visitPersons(base: StateArrays, overlay: ReadonlyMap<number, PersonState | null>, overlayPids: readonly number[], visit: PersonVisitor): void {
  const cursor = new PersonCursor(base, overlay, overlayPids);
  while (cursor.next()) visit(cursor.pid, cursor.times, cursor.codes, cursor.start, cursor.end, cursor.firstSuccess);
}

/** `base` with `overlay` folded in: new arrays, the inputs unchanged. */
export function compact(base: StateArrays, overlay: ReadonlyMap<number, PersonState | null>, overlayPids: readonly number[]): StateArrays {
  const builder = createStateBuilder();
  visitPersons(base, overlay, overlayPids, (pid, times, codes, start, end, success) => builder.copy(pid, { times, codes }, start, end, success));
  return builder.finish();
}
