/**
 * The in-memory form of the per-person state, pure: persons sorted by id, each with a contiguous run of milestones
 * sorted by (time, event id) in typed arrays (8 bytes of time and 2 of name code per milestone; 20 bytes per
 * person: id, run start, first successful call), so a report walks it without allocating per milestone.
 */

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
  /** Whether some name got no code of its own: a name without a code may then still have milestones. */
  readonly overflowed: boolean;
}

/** An empty name dictionary. */
export function createNameCodes(): NameCodes {
  const codes = new Map<string, number>();
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
      return code;
    },
    lookup: (name) => codes.get(name),
    get size() {
      return codes.size;
    },
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

/** `array`, or a copy at least twice as long when it holds fewer than `needed` elements. */
export function grown<T extends Float64Array | Uint32Array | Uint16Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const next = new (array.constructor as new (n: number) => T)(Math.max(needed, array.length * 2));
  next.set(array);
  return next;
}

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
 * Visits every person of `base` and of `overlay` in id order; an overlay entry replaces the base person of the same
 * id (null: the person has no state any more). `overlayPids` is the overlay's ids, sorted.
 */
export function visitPersons(base: StateArrays, overlay: ReadonlyMap<number, PersonState | null>, overlayPids: readonly number[], visit: PersonVisitor): void {
  const { pids, starts, firstSuccess, times, codes } = base;
  let j = 0;
  const flushBelow = (pid: number) => {
    while (j < overlayPids.length && overlayPids[j]! < pid) {
      const id = overlayPids[j++]!;
      const state = overlay.get(id);
      if (state) visit(id, state.times, state.codes, 0, state.times.length, state.firstSuccess);
    }
  };
  for (let i = 0; i < base.persons; i++) {
    const pid = pids[i]!;
    flushBelow(pid);
    if (j < overlayPids.length && overlayPids[j] === pid) {
      const state = overlay.get(pid);
      j++;
      if (state) visit(pid, state.times, state.codes, 0, state.times.length, state.firstSuccess);
      continue;
    }
    visit(pid, times, codes, starts[i]!, starts[i + 1]!, firstSuccess[i]!);
  }
  flushBelow(Number.POSITIVE_INFINITY);
}

/** `base` with `overlay` folded in: new arrays, the inputs unchanged. */
export function compact(base: StateArrays, overlay: ReadonlyMap<number, PersonState | null>, overlayPids: readonly number[]): StateArrays {
  const builder = createStateBuilder();
  visitPersons(base, overlay, overlayPids, (pid, times, codes, start, end, success) => builder.copy(pid, { times, codes }, start, end, success));
  return builder.finish();
}
