/**
 * The flag evidence's per-person data in memory, pure: each person's call facts (first successful call, the failures
 * kept before it) and last page view, in typed arrays sorted by person id, plus what changed since (overlays that
 * replace a person's facts or last page). Failure codes and paths are interned as 32-bit codes.
 */
import { MAX_FIRST_FAILURES } from '../api-traffic/call-facts.ts';
import type { StalledList } from '../flags-query.ts';

/** Strings as dense codes, assigned in the order first seen. */
export interface Dictionary {
  intern(value: string): number;
  readonly values: readonly string[];
}

/** An empty dictionary. */
export function createDictionary(): Dictionary {
  const codes = new Map<string, number>();
  const values: string[] = [];
  return {
    intern(value) {
      let code = codes.get(value);
      if (code === undefined) {
        code = values.length;
        codes.set(value, code);
        values.push(value);
      }
      return code;
    },
    values,
  };
}

/** One person's call facts, as loaded for a reloaded person. */
export interface PersonCalls {
  /** First successful call, NaN when none. */
  firstSuccess: number;
  /** Failures kept before the first success, earliest first, and their codes. */
  failTimes: number[];
  failCodes: number[];
}

/** One person's last page view: time, and path code (−1: the view named no path). */
export interface LastPage {
  time: number;
  path: number;
}

/** The arrays: persons with call facts, and persons with a page view, each sorted by id. */
export interface EvidenceArrays {
  callPids: Float64Array;
  firstSuccess: Float64Array;
  /** Person i's kept failures are [failStarts[i], failStarts[i + 1]). */
  failStarts: Uint32Array;
  failTimes: Float64Array;
  failCodes: Uint32Array;
  pagePids: Float64Array;
  pageTimes: Float64Array;
  pagePaths: Int32Array;
}

/** Index of `pid` in the sorted `pids`, or −1 (a binary search). */
export function find(pids: Float64Array, pid: number): number {
  let lo = 0;
  let hi = pids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = pids[mid]!;
    if (at === pid) return mid;
    if (at < pid) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * {@link find} for ids mostly asked in ascending order (the stalled persons of a funnel run): each search starts
 * where the last one stopped and gallops forward, so a pass over many ids reads `pids` about once instead of a
 * binary search from the start per id. An id below the last one starts again from the beginning.
 *
 * @example
 * const at = forwardFinder(arrays.callPids);
 * for (let i = 0; i < stalled.length; i++) at(stalled.pids[i]!);
 */
export function forwardFinder(pids: Float64Array): (pid: number) => number {
  let next = 0;
  return (pid) => {
    const n = pids.length;
    let lo = next > 0 && pids[next - 1]! >= pid ? 0 : next;
    let hi = lo;
    let step = 1;
    while (hi < n && pids[hi]! < pid) {
      lo = hi + 1;
      hi += step;
      step *= 2;
    }
    hi = Math.min(hi, n - 1);
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (pids[mid]! < pid) lo = mid + 1;
      else hi = mid - 1;
    }
    next = lo;
    return lo < n && pids[lo] === pid ? lo : -1;
  };
}

/** Builds {@link EvidenceArrays} from persons added in ascending id order (calls and pages each on their own). */
export function createEvidenceBuilder() {
  const callPids: number[] = [];
  const firstSuccess: number[] = [];
  const failStarts: number[] = [];
  const failTimes: number[] = [];
  const failCodes: number[] = [];
  const pagePids: number[] = [];
  const pageTimes: number[] = [];
  const pagePaths: number[] = [];
  return {
    /** Adds a person's call facts (ids ascending). */
    calls(pid: number, success: number) {
      callPids.push(pid);
      firstSuccess.push(success);
      failStarts.push(failTimes.length);
    },
    /** Adds a kept failure to the last person given to `calls`. */
    failure(ts: number, code: number) {
      failTimes.push(ts);
      failCodes.push(code);
    },
    /** Adds a person's last page view (ids ascending). */
    page(pid: number, ts: number, path: number) {
      pagePids.push(pid);
      pageTimes.push(ts);
      pagePaths.push(path);
    },
    finish(): EvidenceArrays {
      return {
        callPids: Float64Array.from(callPids),
        firstSuccess: Float64Array.from(firstSuccess),
        failStarts: Uint32Array.from([...failStarts, failTimes.length]),
        failTimes: Float64Array.from(failTimes),
        failCodes: Uint32Array.from(failCodes),
        pagePids: Float64Array.from(pagePids),
        pageTimes: Float64Array.from(pageTimes),
        pagePaths: Int32Array.from(pagePaths),
      };
    },
  };
}

/** The ids of `pids` and of `overlay`, ascending, once each. */
const unionOf = (pids: Float64Array, overlay: ReadonlyMap<number, unknown>) => [...new Set([...pids, ...overlay.keys()])].sort((a, b) => a - b);

/** The arrays with the overlays folded in (null: the person has none any more); the inputs are unchanged. */
export function compactEvidence(
  arrays: EvidenceArrays,
  calls: ReadonlyMap<number, PersonCalls | null>,
  pages: ReadonlyMap<number, LastPage | null>,
): EvidenceArrays {
  const builder = createEvidenceBuilder();
  for (const pid of unionOf(arrays.callPids, calls)) {
    if (calls.has(pid)) {
      const c = calls.get(pid);
      if (!c) continue;
      builder.calls(pid, c.firstSuccess);
      for (let i = 0; i < c.failTimes.length; i++) builder.failure(c.failTimes[i]!, c.failCodes[i]!);
      continue;
    }
    const c = find(arrays.callPids, pid);
    builder.calls(pid, arrays.firstSuccess[c]!);
    for (let i = arrays.failStarts[c]!; i < arrays.failStarts[c + 1]!; i++) builder.failure(arrays.failTimes[i]!, arrays.failCodes[i]!);
  }
  for (const pid of unionOf(arrays.pagePids, pages)) {
    if (pages.size > 0 && pages.has(pid)) {
      const p = pages.get(pid);
      if (p) builder.page(pid, p.time, p.path);
      continue;
    }
    const p = find(arrays.pagePids, pid);
    builder.page(pid, arrays.pageTimes[p]!, arrays.pagePaths[p]!);
  }
  return builder.finish();
}

/** The evidence data of every person: arrays plus reloaded persons' call facts and changed last pages. */
export interface EvidenceState {
  arrays: EvidenceArrays;
  calls: ReadonlyMap<number, PersonCalls | null>;
  pages: ReadonlyMap<number, LastPage | null>;
  codes: Dictionary;
  paths: Dictionary;
}

/** A stalled person: id and the start of the attempt they stalled in. */
export type Stalled = [pid: number, since: number];

/** Failed-call codes counted from the facts, and the persons (with the start of their range) left to raw calls. */
export interface FactErrors {
  /** Per code: calls and distinct persons, from the facts alone. */
  byCode: Map<string, { count: number; persons: number }>;
  /** Persons whose failures in [since, to] the facts cannot (all) give, with the range start left to raw calls. */
  raw: Stalled[];
  /** For persons in `raw` that also had failures counted here: the codes counted (to count each person once). */
  codesOf: Map<number, Set<string>>;
}

/**
 * Counts the failed calls (as the call facts count them) of the stalled persons between their `since` and `to`,
 * from the failures kept before each person's first successful call. What the facts cannot give is left to raw
 * calls: failures from a first success made by `to` on, and, when a person's kept list is full, failures from the
 * instant of its last one on. Past raw-call retention only those parts are lost.
 */
export function errorsFromFacts(state: EvidenceState, stalled: StalledList, to: number): FactErrors {
  const { arrays, calls, codes } = state;
  const findCalls = forwardFinder(arrays.callPids);
  const raw: Stalled[] = [];
  const codesOf = new Map<number, Set<string>>();
  // Per code: calls and persons over everyone, and the current person's calls; `touched` lists the person's codes.
  const callCounts = new Float64Array(codes.values.length);
  const persons = new Uint32Array(codes.values.length);
  const seen = new Uint32Array(codes.values.length);
  const touched: number[] = [];
  for (let s = 0; s < stalled.length; s++) {
    const pid = stalled.pids[s]!;
    const since = stalled.since[s]!;
    let success: number;
    let times: ArrayLike<number>;
    let codeOf: ArrayLike<number>;
    let start = 0;
    let end: number;
    // Persons reloaded since the arrays were built (usually none): a map lookup only when there are some.
    const patched = calls.size > 0 ? calls.get(pid) : undefined;
    if (patched !== undefined || (calls.size > 0 && calls.has(pid))) {
      if (!patched) continue;
      success = patched.firstSuccess;
      times = patched.failTimes;
      codeOf = patched.failCodes;
      end = times.length;
    } else {
      const c = findCalls(pid);
      if (c < 0) continue;
      success = arrays.firstSuccess[c]!;
      times = arrays.failTimes;
      codeOf = arrays.failCodes;
      start = arrays.failStarts[c]!;
      end = arrays.failStarts[c + 1]!;
    }
    // Raw calls answer from `rawFrom` on: the first success made by `to` (kept failures are all before it), or the
    // instant of the last kept failure when the list is full (failures past it, at that instant too, are unknown).
    let rawFrom = !Number.isNaN(success) && success <= to ? success : Number.POSITIVE_INFINITY;
    if (end - start >= MAX_FIRST_FAILURES && times[end - 1]! <= to) rawFrom = Math.min(rawFrom, times[end - 1]!);
    for (let i = start; i < end; i++) {
      const ts = times[i]!;
      if (ts > to || ts >= rawFrom) break;
      if (ts < since) continue;
      const code = codeOf[i]!;
      if (seen[code]!++ === 0) touched.push(code);
    }
    for (const code of touched) {
      callCounts[code]! += seen[code]!;
      persons[code]!++;
      seen[code] = 0;
    }
    if (rawFrom <= to) {
      raw.push([pid, Math.max(since, rawFrom)]);
      if (touched.length > 0) codesOf.set(pid, new Set(touched.map((code) => codes.values[code]!)));
    }
    touched.length = 0;
  }
  const byCode = new Map<string, { count: number; persons: number }>();
  for (let code = 0; code < persons.length; code++)
    if (persons[code]! > 0) byCode.set(codes.values[code]!, { count: callCounts[code]!, persons: persons[code]! });
  return { byCode, raw, codesOf };
}

/** Last pages counted from the kept last page views, and the persons left to raw page views. */
export interface FactPages {
  byPath: Map<string, number>;
  /** Persons whose last view is after `to`: their last view in [from, to] is read from raw page views. */
  raw: Stalled[];
}

/**
 * Counts the stalled persons' last page view in [from, to] per path from each person's last view: one before `from`
 * means none in range, one after `to` leaves the person to raw page views, and a view without a path counts nowhere.
 */
export function lastPagesFromState(state: EvidenceState, stalled: StalledList, from: number, to: number): FactPages {
  const { arrays, pages, paths } = state;
  const findPage = forwardFinder(arrays.pagePids);
  // Counted per path code; the map of paths is built once at the end.
  const counts = new Float64Array(paths.values.length);
  const raw: Stalled[] = [];
  for (let s = 0; s < stalled.length; s++) {
    const pid = stalled.pids[s]!;
    let ts: number;
    let path: number;
    if (pages.size > 0 && pages.has(pid)) {
      const patched = pages.get(pid);
      ts = patched ? patched.time : Number.NaN;
      path = patched ? patched.path : -1;
    } else {
      const p = findPage(pid);
      ts = p < 0 ? Number.NaN : arrays.pageTimes[p]!;
      path = p < 0 ? -1 : arrays.pagePaths[p]!;
    }
    if (Number.isNaN(ts) || ts < from) continue;
    if (ts > to) raw.push([pid, stalled.since[s]!]);
    else if (path >= 0) counts[path]!++;
  }
  const byPath = new Map<string, number>();
  for (let path = 0; path < counts.length; path++) if (counts[path]! > 0) byPath.set(paths.values[path]!, counts[path]!);
  return { byPath, raw };
}
