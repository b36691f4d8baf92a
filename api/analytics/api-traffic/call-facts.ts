/**
 * Per-person call facts, pure: a person's first call, first successful (2xx) call, and the earliest failed calls
 * before that success (at most {@link MAX_FIRST_FAILURES}). They outlive raw `api_call` rows, so the funnel's
 * `first_successful_call`, TTFSI and API health's `firstCallErrors` stay correct after retention deletes the calls.
 * Folding is exact in any order: first times take the minimum, failure lists are merged, cut at the (new) first
 * success and kept to the earliest {@link MAX_FIRST_FAILURES}; a failure dropped for being later than that many
 * others can never come back, since new facts only add earlier failures or an earlier success.
 */

/** Failed calls kept per person before their first success. */
export const MAX_FIRST_FAILURES = 50;

/** One failed call before the first success: when, and its failure code. */
export interface FirstFailure {
  timestamp: number;
  code: string;
}

/** What is kept about one person's calls. */
export interface CallFacts {
  firstCallAt: number;
  firstSuccessAt: number | null;
  /** Earliest first, all before `firstSuccessAt`, at most {@link MAX_FIRST_FAILURES}. */
  failures: FirstFailure[];
}

/** Keeps the failures before `firstSuccessAt`, earliest first (stable on ties), at most the limit. */
export function cutFailures(failures: readonly FirstFailure[], firstSuccessAt: number | null): FirstFailure[] {
  return failures
    .filter((f) => firstSuccessAt === null || f.timestamp < firstSuccessAt)
    .sort((a, b) => a.timestamp - b.timestamp)
    .slice(0, MAX_FIRST_FAILURES);
}

/** `a` and `b` folded into one person's facts (an identity merge, or stored facts plus a chunk's calls). */
export function foldFacts(a: CallFacts | undefined, b: CallFacts | undefined): CallFacts | undefined {
  if (!a) return b;
  if (!b) return a;
  const firstSuccessAt =
    a.firstSuccessAt === null ? b.firstSuccessAt : b.firstSuccessAt === null ? a.firstSuccessAt : Math.min(a.firstSuccessAt, b.firstSuccessAt);
  return { firstCallAt: Math.min(a.firstCallAt, b.firstCallAt), firstSuccessAt, failures: cutFailures([...a.failures, ...b.failures], firstSuccessAt) };
}

/** The facts of a list of calls (in any order); `failure` is the code of a counted failure, else undefined. */
export function factsOfCalls(calls: ReadonlyArray<{ timestamp: number; success: boolean; failure: string | undefined }>): CallFacts | undefined {
  if (calls.length === 0) return undefined;
  let firstCallAt = Number.POSITIVE_INFINITY;
  let firstSuccessAt: number | null = null;
  for (const call of calls) {
    firstCallAt = Math.min(firstCallAt, call.timestamp);
    if (call.success && (firstSuccessAt === null || call.timestamp < firstSuccessAt)) firstSuccessAt = call.timestamp;
  }
  const failures = calls.flatMap((c) => (c.failure === undefined ? [] : [{ timestamp: c.timestamp, code: c.failure }]));
  return { firstCallAt, firstSuccessAt, failures: cutFailures(failures, firstSuccessAt) };
}
