/**
 * The flag evidence's per-person data in memory, pure: each person's call facts (first successful call, the failures
 * kept before it, whether that list is full) and last page view, in typed arrays sorted by person id, plus the
 * persons reloaded since (an overlay that replaces them). Failure codes and paths are interned as 32-bit codes.
 */
import { MAX_FIRST_FAILURES } from '../api-traffic/call-facts.ts';

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

/** One person's evidence data, as loaded for a reloaded person. */
export interface PersonEvidence {
  /** First successful call, NaN when none (or no calls). */
  firstSuccess: number;
  /** Whether the person has call facts at all (any call stored). */
  hasCalls: boolean;
  /** Failures kept before the first success, earliest first, and their codes. */
  failTimes: number[];
  failCodes: number[];
  /** Last page view's time (NaN when none) and path code (−1: the view named no path). */
  pageTime: number;
  pagePath: number;
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

/** Index of `pid` in the sorted `pids`, or −1. */
function find(pids: Float64Array, pid: number): number {
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

/** Growable number columns, cut to typed arrays at the end. */
class Column {
  values: number[] = [];
  push(value: number) {
    this.values.push(value);
  }
}

/** Builds {@link EvidenceArrays} from persons added in ascending id order. */
export function createEvidenceBuilder() {
  const callPids = new Column();
  const firstSuccess = new Column();
  const failStarts = new Column();
  const failTimes = new Column();
  const failCodes = new Column();
  const pagePids = new Column();
  const pageTimes = new Column();
  const pagePaths = new Column();
  return {
    /** Adds a person's call facts (ids ascending). */
    calls(pid: number, success: number) {
      callPids.push(pid);
      firstSuccess.push(success);
      failStarts.push(failTimes.values.length);
    },
    /** Adds a kept failure to the last person given to {@link calls}. */
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
    /** Adds everything of one person. */
    person(pid: number, e: PersonEvidence) {
      if (e.hasCalls) {
        this.calls(pid, e.firstSuccess);
        for (let i = 0; i < e.failTimes.length; i++) this.failure(e.failTimes[i]!, e.failCodes[i]!);
      }
      if (!Number.isNaN(e.pageTime)) this.page(pid, e.pageTime, e.pagePath);
    },
    finish(): EvidenceArrays {
      return {
        callPids: Float64Array.from(callPids.values),
        firstSuccess: Float64Array.from(firstSuccess.values),
        failStarts: Uint32Array.from([...failStarts.values, failTimes.values.length]),
        failTimes: Float64Array.from(failTimes.values),
        failCodes: Uint32Array.from(failCodes.values),
        pagePids: Float64Array.from(pagePids.values),
        pageTimes: Float64Array.from(pageTimes.values),
        pagePaths: Int32Array.from(pagePaths.values),
      };
    },
  };
}

/** One person's evidence data read from `arrays`. */
function personOf(arrays: EvidenceArrays, pid: number): PersonEvidence {
  const c = find(arrays.callPids, pid);
  const p = find(arrays.pagePids, pid);
  const start = c < 0 ? 0 : arrays.failStarts[c]!;
  const end = c < 0 ? 0 : arrays.failStarts[c + 1]!;
  return {
    firstSuccess: c < 0 ? Number.NaN : arrays.firstSuccess[c]!,
    hasCalls: c >= 0,
    failTimes: Array.from(arrays.failTimes.subarray(start, end)),
    failCodes: Array.from(arrays.failCodes.subarray(start, end)),
    pageTime: p < 0 ? Number.NaN : arrays.pageTimes[p]!,
    pagePath: p < 0 ? -1 : arrays.pagePaths[p]!,
  };
}

/** The arrays with `overlay` folded in (null: the person has no data any more); the inputs are unchanged. */
export function compactEvidence(arrays: EvidenceArrays, overlay: ReadonlyMap<number, PersonEvidence | null>): EvidenceArrays {
  const pids = new Set<number>([...arrays.callPids, ...arrays.pagePids, ...overlay.keys()]);
  const builder = createEvidenceBuilder();
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const e = overlay.has(pid) ? overlay.get(pid) : personOf(arrays, pid);
    if (e) builder.person(pid, e);
  }
  return builder.finish();
}

/** The evidence data of every person: arrays plus reloaded persons. */
export interface EvidenceState {
  arrays: EvidenceArrays;
  overlay: ReadonlyMap<number, PersonEvidence | null>;
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
export function errorsFromFacts(state: EvidenceState, stalled: readonly Stalled[], to: number): FactErrors {
  const { arrays, overlay, codes } = state;
  const byCode = new Map<string, { count: number; persons: number }>();
  const raw: Stalled[] = [];
  const codesOf = new Map<number, Set<string>>();
  const seen = new Map<number, number>();
  for (const [pid, since] of stalled) {
    let success: number;
    let times: ArrayLike<number>;
    let codeOf: ArrayLike<number>;
    let start = 0;
    let end: number;
    const patched = overlay.get(pid);
    if (overlay.has(pid)) {
      if (!patched?.hasCalls) continue;
      success = patched.firstSuccess;
      times = patched.failTimes;
      codeOf = patched.failCodes;
      end = times.length;
    } else {
      const c = find(arrays.callPids, pid);
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
    seen.clear();
    for (let i = start; i < end; i++) {
      const ts = times[i]!;
      if (ts > to || ts >= rawFrom) break;
      if (ts >= since) seen.set(codeOf[i]!, (seen.get(codeOf[i]!) ?? 0) + 1);
    }
    for (const [code, count] of seen) {
      const text = codes.values[code]!;
      const tally = byCode.get(text);
      if (tally) {
        tally.count += count;
        tally.persons++;
      } else byCode.set(text, { count, persons: 1 });
    }
    if (rawFrom <= to) {
      raw.push([pid, Math.max(since, rawFrom)]);
      if (seen.size > 0) codesOf.set(pid, new Set([...seen.keys()].map((code) => codes.values[code]!)));
    }
  }
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
export function lastPagesFromState(state: EvidenceState, stalled: readonly Stalled[], from: number, to: number): FactPages {
  const { arrays, overlay, paths } = state;
  const byPath = new Map<string, number>();
  const raw: Stalled[] = [];
  for (const person of stalled) {
    const pid = person[0];
    let ts: number;
    let path: number;
    if (overlay.has(pid)) {
      const patched = overlay.get(pid);
      ts = patched ? patched.pageTime : Number.NaN;
      path = patched ? patched.pagePath : -1;
    } else {
      const p = find(arrays.pagePids, pid);
      ts = p < 0 ? Number.NaN : arrays.pageTimes[p]!;
      path = p < 0 ? -1 : arrays.pagePaths[p]!;
    }
    if (Number.isNaN(ts) || ts < from) continue;
    if (ts > to) raw.push(person);
    else if (path >= 0) byPath.set(paths.values[path]!, (byPath.get(paths.values[path]!) ?? 0) + 1);
  }
  return { byPath, raw };
}
