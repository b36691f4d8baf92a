/**
 * The in-memory layout of the per-person state (api/analytics/person-state/state-arrays.ts): persons reloaded since
 * the arrays were built replace, add or remove persons in id order, and folding them in (compaction) changes nothing
 * a report can see.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compact, createNameCodes, createStateBuilder, type PersonState, visitPersons } from '../../api/analytics/person-state/state-arrays.ts';

type Person = { pid: number; times: number[]; codes: number[]; firstSuccess: number };

const personArb = fc.record({
  times: fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 5 }).map((ts) => ts.sort((a, b) => a - b)),
  firstSuccess: fc.option(fc.integer({ min: 0, max: 1_000 }), { nil: Number.NaN }),
});

/** Persons with distinct ids, sorted, each with at least a milestone or a first success. */
const personsArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 30 })
  .chain((pids) => fc.tuple(...pids.sort((a, b) => a - b).map((pid) => personArb.map((p) => ({ pid, ...p, codes: p.times.map((t) => t % 3) })))));

function visited(visit: (v: Parameters<typeof visitPersons>[3]) => void): Person[] {
  const out: Person[] = [];
  visit((pid, times, codes, start, end, firstSuccess) =>
    out.push({ pid, times: [...times.subarray(start, end)], codes: [...codes.subarray(start, end)], firstSuccess }),
  );
  return out;
}

describe('per-person state arrays', () => {
  it('visit the base with reloaded persons in id order, and compaction keeps what is visited', () => {
    fc.assert(
      fc.property(personsArb, personsArb, fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 10 }), (base, reloaded, emptied) => {
        const builder = createStateBuilder();
        for (const p of base) {
          builder.person(p.pid, p.firstSuccess);
          for (const [i, ts] of p.times.entries()) builder.milestone(ts, p.codes[i]!);
        }
        const arrays = builder.finish();
        const overlay = new Map<number, PersonState | null>();
        for (const p of reloaded) overlay.set(p.pid, { times: Float64Array.from(p.times), codes: Uint16Array.from(p.codes), firstSuccess: p.firstSuccess });
        for (const pid of emptied) if (!overlay.has(pid)) overlay.set(pid, null);
        const pids = [...overlay.keys()].sort((a, b) => a - b);

        const byPid = new Map<number, Person | null>(base.map((p) => [p.pid, p]));
        for (const [pid, state] of overlay)
          byPid.set(pid, state && { pid, times: [...state.times], codes: [...state.codes], firstSuccess: state.firstSuccess });
        const expected = [...byPid.values()].filter((p): p is Person => p !== null).sort((a, b) => a.pid - b.pid);

        expect(visited((v) => visitPersons(arrays, overlay, pids, v))).toEqual(expected);
        expect(visited((v) => visitPersons(compact(arrays, overlay, pids), new Map(), [], v))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('give names stable codes', () => {
    const names = createNameCodes();
    expect([names.intern('signed_up'), names.intern('api_key_created'), names.intern('signed_up')]).toEqual([0, 1, 0]);
    expect(names.lookup('api_key_created')).toBe(1);
    expect(names.lookup('quickstart_started')).toBeUndefined();
    expect(names.overflowed).toBe(false);
  });
});
