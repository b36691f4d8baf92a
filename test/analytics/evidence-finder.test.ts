/**
 * The evidence's forward search (`forwardFinder`, api/analytics/person-state/evidence-state.ts) finds what a binary
 * search finds, whatever order the ids are asked in: ascending (a funnel run's stalled persons), repeated, or not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { find, forwardFinder } from '../../api/analytics/person-state/evidence-state.ts';

const sortedIds = fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { maxLength: 200 }).map((ids) => Float64Array.from(ids.sort((a, b) => a - b)));
const asked = fc.array(fc.integer({ min: 0, max: 510 }), { maxLength: 100 });

describe('forwardFinder', () => {
  it.each([
    ['ascending', (ids: number[]) => ids.sort((a, b) => a - b)],
    ['in any order', (ids: number[]) => ids],
  ])('finds ids asked %s as a binary search does', (_name, order) => {
    fc.assert(
      fc.property(sortedIds, asked, (pids, ids) => {
        const at = forwardFinder(pids);
        for (const pid of order(ids)) expect(at(pid)).toBe(find(pids, pid));
      }),
      { numRuns: 300 },
    );
  });
});
