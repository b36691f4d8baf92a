/**
 * Keeps `person_call_facts` and `first_call_failures` current inside the ingest store's chunk transaction: the
 * chunk's applied calls fold into their persons' facts, and persons merged away fold into the survivor (raw calls
 * may be gone by then, so the facts are merged, not recomputed from `events`). Failure lists are read only for the
 * persons whose list can change, which after their first success is almost nobody.
 */
import { sql } from 'drizzle-orm';
import { inList, MAX_IN_LIST, padded, ROWS_PER_INSERT, type Step, slices, valuesOf } from '../../ingest/steps.ts';
import type { Row } from '../../storage/sql/interface.ts';
import type { AppliedCall } from './applied-call.ts';
import { FAILED, isSuccess, UNVERIFIED } from './call.ts';
import { type CallFacts, factsOfCalls, foldFacts } from './call-facts.ts';

/** A person merged away during the chunk, and the person that survives it. */
export interface PersonMerge {
  from: number;
  into: number;
}

type StoredFacts = { person_id: number; first_call_at: number; first_success_at: number | null; failures: number };

/** The code a call adds to `firstCallErrors`, if any: a failure, unless refused for a key the API could not verify. */
export function countedFailure(call: AppliedCall): string | undefined {
  return (call.key.flags & FAILED) !== 0 && (call.key.flags & UNVERIFIED) === 0 ? call.key.code : undefined;
}

/** The statements folding `calls` and `merges` into the per-person call facts. */
export function* updateCallFacts(calls: readonly AppliedCall[], merges: readonly PersonMerge[]): Generator<Step, void, Row[]> {
  if (calls.length === 0 && merges.length === 0) return;
  const chunkCalls = new Map<number, Array<{ timestamp: number; success: boolean; failure: string | undefined }>>();
  for (const call of calls) {
    let list = chunkCalls.get(call.personId);
    if (!list) chunkCalls.set(call.personId, (list = []));
    list.push({ timestamp: call.timestamp, success: isSuccess(call.key.status), failure: countedFailure(call) });
  }
  const merging = new Set(merges.flatMap((m) => [m.from, m.into]));
  const persons = [...new Set([...chunkCalls.keys(), ...merging])];

  const stored = new Map<number, StoredFacts>();
  for (const some of slices(persons, MAX_IN_LIST)) {
    const list = padded(some);
    const rows = (yield {
      query: () => sql`SELECT person_id, first_call_at, first_success_at, failures FROM person_call_facts WHERE person_id IN ${inList(list)}`,
      returnsRows: true,
      shape: { key: `call-facts:${list.length}`, values: list },
    }) as StoredFacts[];
    for (const row of rows) stored.set(Number(row.person_id), row);
  }

  // A stored failure list is needed where it may change: a merge, or a chunk call before the stored first success.
  const chunkFacts = new Map<number, CallFacts | undefined>([...chunkCalls].map(([pid, list]) => [pid, factsOfCalls(list)]));
  const needsList = persons.filter((pid) => {
    const row = stored.get(pid);
    if (!row || Number(row.failures) === 0) return false;
    if (merging.has(pid)) return true;
    const fresh = chunkFacts.get(pid);
    const successAt = row.first_success_at === null ? Number.POSITIVE_INFINITY : Number(row.first_success_at);
    // Chunk calls all at or after the stored first success change nothing: not the first call, success or list.
    return fresh !== undefined && fresh.firstCallAt < successAt;
  });
  const lists = new Map<number, CallFacts['failures']>(needsList.map((pid) => [pid, []]));
  for (const some of slices(needsList, MAX_IN_LIST)) {
    const list = padded(some);
    const rows = yield {
      query: () => sql`SELECT person_id, timestamp, code FROM first_call_failures WHERE person_id IN ${inList(list)} ORDER BY person_id, timestamp`,
      returnsRows: true,
      shape: { key: `call-failures:${list.length}`, values: list },
    };
    for (const row of rows) lists.get(Number(row.person_id))!.push({ timestamp: Number(row.timestamp), code: String(row.code) });
  }

  const current = new Map<number, CallFacts | undefined>();
  for (const pid of persons) {
    const row = stored.get(pid);
    if (row && Number(row.failures) > 0 && !lists.has(pid)) continue;
    const before: CallFacts | undefined = row && {
      firstCallAt: Number(row.first_call_at),
      firstSuccessAt: row.first_success_at === null ? null : Number(row.first_success_at),
      failures: lists.get(pid) ?? [],
    };
    current.set(pid, foldFacts(before, chunkFacts.get(pid)));
  }
  for (const { from, into } of merges) {
    current.set(into, foldFacts(current.get(into), current.get(from)));
    current.set(from, undefined);
  }

  // Rewritten lists: every person whose list was read, merged, or who had none stored and has failures now.
  const rewrite = new Set([...needsList, ...merging]);
  const inserts: Array<[number, CallFacts]> = [];
  const gone: number[] = [];
  for (const [pid, facts] of current) {
    const row = stored.get(pid);
    if (!facts) {
      if (row) gone.push(pid);
      continue;
    }
    const unchanged =
      row &&
      Number(row.first_call_at) === facts.firstCallAt &&
      (row.first_success_at === null ? null : Number(row.first_success_at)) === facts.firstSuccessAt &&
      Number(row.failures) === facts.failures.length &&
      !rewrite.has(pid);
    if (unchanged) continue;
    if (!row || Number(row.failures) === 0) rewrite.add(pid);
    inserts.push([pid, facts]);
  }
  const cleared = [...rewrite].filter((pid) => Number(stored.get(pid)?.failures ?? 0) > 0);
  for (const some of slices([...new Set([...cleared, ...gone])], MAX_IN_LIST)) {
    yield { query: () => sql`DELETE FROM first_call_failures WHERE person_id IN ${inList(some)}`, returnsRows: false };
  }
  for (const some of slices(gone, MAX_IN_LIST)) {
    yield { query: () => sql`DELETE FROM person_call_facts WHERE person_id IN ${inList(some)}`, returnsRows: false };
  }
  for (const some of slices(inserts, ROWS_PER_INSERT)) {
    const values = some.flatMap(([pid, f]) => [pid, f.firstCallAt, f.firstSuccessAt, f.failures.length]);
    yield {
      query: () =>
        sql`INSERT INTO person_call_facts (person_id, first_call_at, first_success_at, failures) VALUES ${valuesOf(values, 4)}
            ON CONFLICT (person_id) DO UPDATE SET first_call_at = excluded.first_call_at, first_success_at = excluded.first_success_at, failures = excluded.failures`,
      returnsRows: false,
      shape: { key: `call-facts-upsert:${some.length}`, values },
    };
  }
  const failureRows = inserts.filter(([pid]) => rewrite.has(pid)).flatMap(([pid, f]) => f.failures.map((x) => [pid, x.timestamp, x.code] as const));
  for (const some of slices(failureRows, ROWS_PER_INSERT)) {
    const values = some.flat();
    yield {
      query: () => sql`INSERT INTO first_call_failures (person_id, timestamp, code) VALUES ${valuesOf(values, 3)}`,
      returnsRows: false,
      shape: { key: `call-failures-insert:${some.length}`, values },
    };
  }
}
