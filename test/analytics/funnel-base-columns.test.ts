/**
 * A milestone funnel's kept per-base events (api/analytics/person-state/funnel-base-columns.ts) hand every report
 * exactly what walking the state gives: the same persons in id order with the same events, whatever the range, with
 * persons reloaded since the base was built replacing, adding or removing base persons, and with the kept events
 * reused from one report to the next.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFunnelParams } from '../../api/analytics/funnel-params.ts';
import { funnelColumnsFromState } from '../../api/analytics/person-state/funnel-from-state.ts';
import { type StateView, stateView } from '../../api/analytics/person-state/snapshot.ts';
import { createNameCodes, createStateBuilder, type PersonState } from '../../api/analytics/person-state/state-arrays.ts';

const NAMES = ['signed_up', 'api_key_created', 'doc_feedback', 'support_ticket_created'];

const personArb = fc.record({
  milestones: fc
    .array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: NAMES.length - 1 })), { maxLength: 6 })
    .map((m) => m.sort((a, b) => a[0] - b[0])),
  firstSuccess: fc.option(fc.integer({ min: 0, max: 100 }), { nil: Number.NaN }),
});

/** Persons with distinct ids, sorted. */
const personsArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 25 })
  .chain((pids) => fc.tuple(...pids.sort((a, b) => a - b).map((pid) => personArb.map((p) => ({ pid, ...p })))));

const FUNNELS: Array<Record<string, string>> = [
  {},
  { order: 'any' },
  { steps: 'api_key_created,signed_up' },
  { steps: 'signed_up,first_successful_call', exclusions: JSON.stringify([{ event: 'support_ticket_created', fromStep: 0, toStep: 1 }]) },
];

type Emitted = Array<{ pid: number; ts: number[]; id: number[]; mask: number[]; exclusion: number[] }>;

function emitted(view: StateView, query: Record<string, string>, from: number, to: number): Emitted {
  const p = parseFunnelParams({ from: String(from), to: String(to), ...query });
  const out: Emitted = [];
  const answered = funnelColumnsFromState(view, undefined, p, { from, to }, (pid, e, start, end) =>
    out.push({
      pid,
      ts: [...e.ts.subarray(start, end)],
      id: [...e.id.subarray(start, end)],
      mask: [...e.mask.subarray(start, end)],
      exclusion: [...e.exclusion.subarray(start, end)],
    }),
  );
  expect(answered).toBe(true);
  return out;
}

describe('kept funnel events per base', () => {
  it('equal the walk of the state for every range, with reloaded persons over the base', () => {
    fc.assert(
      fc.property(
        personsArb,
        personsArb,
        fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 })), { minLength: 1, maxLength: 4 }),
        (base, reloaded, emptied, ranges) => {
          const names = createNameCodes();
          for (const name of NAMES) names.intern(name);
          const builder = createStateBuilder();
          for (const p of base) {
            builder.person(p.pid, p.firstSuccess);
            for (const [ts, code] of p.milestones) builder.milestone(ts, code);
          }
          const arrays = builder.finish();
          const overlay = new Map<number, PersonState | null>();
          for (const p of reloaded) {
            overlay.set(p.pid, {
              times: Float64Array.from(p.milestones.map((m) => m[0])),
              codes: Uint16Array.from(p.milestones.map((m) => m[1])),
              firstSuccess: p.firstSuccess,
            });
          }
          for (const pid of emptied) if (!overlay.has(pid)) overlay.set(pid, null);
          const overlayPids = [...overlay.keys()].sort((a, b) => a - b);
          const walked = stateView(names, arrays, overlay, overlayPids, false);
          const kept = stateView(names, arrays, overlay, overlayPids);
          for (const query of FUNNELS) {
            for (const [a, b] of ranges) {
              const [from, to] = a <= b ? [a, b] : [b, a];
              expect(emitted(kept, query, from, to)).toEqual(emitted(walked, query, from, to));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
