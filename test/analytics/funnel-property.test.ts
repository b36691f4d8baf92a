/**
 * Randomized check of the funnel against a slow, obviously-correct reference written here from the definitions:
 * for every step-1 event, walk forward greedily (ordered), or only through the very next events, repeats of the step
 * just reached aside (strict), or
 * try every assignment of events to steps (any order); keep the deepest attempt.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deleteAllEvents, testApp } from '../support/app.ts';
import { type Ev, getReport, ingest, iso, T0 } from './support.ts';

const UNIT = 15 * 60_000;
const FROM = T0;
const TO = T0 + 30 * UNIT;
const WINDOWS: Record<string, number> = { '30m': 30 * 60_000, '2h': 2 * 3_600_000, '1d': 86_400_000 };
const STEP_SETS = [
  ['signed_up', 'api_key_created', 'first_successful_call'],
  ['signed_up', '$pageview', 'signed_up'],
  ['$pageview', '$pageview'],
  ['api_call', 'first_successful_call'],
  ['first_successful_call', 'api_key_created', '$pageview'],
  ['$pageview', 'signed_up', 'api_key_created', '$pageview'],
];
type Order = 'ordered' | 'strict' | 'any';

interface Item {
  name: string;
  ts: number;
  idx: number;
  matches: number[];
}

interface RefOutcome {
  depth: number;
  start: number;
  times: number[];
}

/** Largest number of steps that distinct events of `items` can fill (brute force over assignments). */
function maxMatching(items: Item[], steps: number): number {
  let best = 0;
  const used = new Array(steps).fill(false);
  const go = (i: number, filled: number) => {
    if (filled + (items.length - i) <= best) return;
    if (i === items.length) {
      best = Math.max(best, filled);
      return;
    }
    for (const k of items[i]!.matches) {
      if (used[k]) continue;
      used[k] = true;
      go(i + 1, filled + 1);
      used[k] = false;
    }
    go(i + 1, filled);
  };
  go(0, 0);
  return best;
}

function referencePerson(all: Array<{ name: string; ts: number; status?: number }>, steps: string[], windowMs: number, order: Order): RefOutcome {
  const success = all
    .map((e, idx) => ({ ...e, idx }))
    .filter((e) => e.name === 'api_call' && e.status! >= 200 && e.status! < 300)
    .sort((a, b) => a.ts - b.ts || a.idx - b.idx)[0];
  const items: Item[] = all
    .map((e, idx) => ({
      name: e.name,
      ts: e.ts,
      idx,
      matches: steps.flatMap((s, k) => ((s === 'first_successful_call' ? success?.idx === idx : s === e.name) ? [k] : [])),
    }))
    .filter((e) => e.ts >= FROM && e.ts <= TO)
    .sort((a, b) => a.ts - b.ts || (a.matches[0] ?? 99) - (b.matches[0] ?? 99) || a.idx - b.idx);

  let best: RefOutcome = { depth: 0, start: NaN, times: [] };
  const consider = (o: RefOutcome) => {
    if (o.depth > best.depth || (o.depth === best.depth && o.depth > 0 && o.start >= best.start)) best = o;
  };
  items.forEach((first, i) => {
    if (order === 'any') {
      if (first.matches.length === 0) return;
      const inWindow = items.filter((e) => e.ts >= first.ts && e.ts - first.ts <= windowMs);
      const depth = maxMatching(inWindow, steps.length);
      const times: number[] = [];
      for (let k = 1; k <= depth; k++) {
        let n = 1;
        while (maxMatching(inWindow.slice(0, n), steps.length) < k) n++;
        times.push(inWindow[n - 1]!.ts);
      }
      consider({ depth, start: first.ts, times });
      return;
    }
    if (!first.matches.includes(0)) return;
    const times = [first.ts];
    let pos = i;
    for (let k = 1; k < steps.length; k++) {
      let next = -1;
      if (order === 'strict') {
        // The very next event must be step k; a repeat of the step just reached is not "another" event (PostHog).
        for (let j = pos + 1; j < items.length; j++) {
          if (items[j]!.matches.includes(k) && items[j]!.ts - first.ts <= windowMs) {
            next = j;
            break;
          }
          if (!items[j]!.matches.includes(k - 1)) break;
        }
      } else {
        for (let j = pos + 1; j < items.length; j++) {
          if (items[j]!.ts - first.ts > windowMs) break;
          if (items[j]!.matches.includes(k)) {
            next = j;
            break;
          }
        }
      }
      if (next < 0) break;
      times.push(items[next]!.ts);
      pos = next;
    }
    consider({ depth: times.length, start: first.ts, times });
  });
  return best;
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
}

function referenceFunnel(byPerson: Map<string, Array<{ name: string; ts: number; status?: number }>>, steps: string[], windowMs: number, order: Order) {
  const outcomes = [...byPerson.values()].map((evs) => referencePerson(evs, steps, windowMs, order)).filter((o) => o.depth > 0);
  return steps.map((_, k) => {
    const count = outcomes.filter((o) => o.depth > k).length;
    const stalled = k === 0 ? [] : outcomes.filter((o) => o.depth === k);
    const inProgress = stalled.filter((o) => o.start + windowMs > TO).length;
    const gaps = k === 0 ? [] : outcomes.filter((o) => o.depth > k).map((o) => (o.times[k]! - o.times[k - 1]!) / 1000);
    return {
      count,
      inProgress,
      dropOff: stalled.length - inProgress,
      median: k === 0 ? null : percentile(gaps, 0.5),
      p90: k === 0 ? null : percentile(gaps, 0.9),
    };
  });
}

const eventArb = fc.record({
  who: fc.constantFrom('p0', 'p1', 'p2'),
  name: fc.constantFrom('signed_up', 'api_key_created', 'api_call', '$pageview', 'api_call'),
  unit: fc.integer({ min: -3, max: 33 }),
  status: fc.constantFrom(200, 201, 401, 500),
});

describe('funnel matches the reference implementation on random event sets', () => {
  it.each(['ordered', 'strict', 'any'] as const)('%s', async (order) => {
    // One fresh database per test, emptied between runs (migrating a new one per run would dominate the time).
    const { app, db } = testApp();
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 0, maxLength: 16 }),
        fc.constantFrom(...STEP_SETS.keys()),
        fc.constantFrom(...Object.keys(WINDOWS)),
        async (raw, stepSet, window) => {
          const steps = STEP_SETS[stepSet]!;
          const events: Ev[] = raw.map((r) => ({
            event: r.name,
            who: r.who,
            at: FROM + r.unit * UNIT,
            ...(r.name === 'api_call' ? { props: { status: r.status } } : {}),
          }));
          const byPerson = new Map<string, Array<{ name: string; ts: number; status?: number }>>();
          for (const r of raw) {
            const list = byPerson.get(r.who) ?? [];
            list.push({ name: r.name, ts: FROM + r.unit * UNIT, ...(r.name === 'api_call' ? { status: r.status } : {}) });
            byPerson.set(r.who, list);
          }
          await deleteAllEvents(db);
          await ingest(db, events);
          const res = await getReport(app, 'funnel', { from: iso(FROM), to: iso(TO), steps: steps.join(','), window, order });
          expect(res.status).toBe(200);
          const got = res.body.steps.map((s: any) => ({
            count: s.count,
            inProgress: s.inProgress,
            dropOff: s.dropOff,
            median: s.medianSecondsFromPrevious,
            p90: s.p90SecondsFromPrevious,
          }));
          expect(got).toEqual(referenceFunnel(byPerson, steps, WINDOWS[window]!, order));
        },
      ),
      { numRuns: Number(process.env.FUNNEL_PROPERTY_RUNS ?? 300), seed: 20260331 + order.length },
    );
  });
});
