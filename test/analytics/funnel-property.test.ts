/**
 * Randomized check of the funnel against a slow, obviously-correct reference written here from the definitions.
 * Every attempt is walked on its own: for every step-1 event, greedily forward (ordered), or only through the very
 * next events, repeats of the step just reached aside (strict), or every assignment of events to steps (any
 * order). An ordered or strict attempt is excluded by the first exclusion event inside its window while it has
 * reached fromStep and not toStep, and then advances at most one more step; the person counts at the deepest step
 * of any attempt, unless every attempt reaching it is excluded, with the timings of the clean attempt that reached
 * it first (on a tie, the later start). Any order: progress stops at an exclusion, the earliest attempt reaching
 * the deepest step is kept. Step filters and global filters decide which events match. Timestamps are distinct
 * per event (ties have their own fixtures); conversions of 0 seconds are left out of the time statistics.
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
const NAMES = ['signed_up', 'api_key_created', 'api_call', '$pageview', 'support_ticket_created'];
type Order = 'ordered' | 'strict' | 'any';
type Filter = { key: string; operator?: string; value?: string };
/** Step filters the generator picks from, with the reference's reading of each. */
const FILTERS: Array<{ filters: Filter[]; test: (plan: string | undefined) => boolean }> = [
  { filters: [], test: () => true },
  { filters: [{ key: 'plan', value: 'free' }], test: (v) => v === 'free' },
  { filters: [{ key: 'plan', operator: 'is_not', value: 'free' }], test: (v) => v !== 'free' },
  { filters: [{ key: 'plan', operator: 'is_set' }], test: (v) => v !== undefined },
];

interface Raw {
  name: string;
  ts: number;
  status?: number;
  plan?: string;
}

interface Item {
  name: string;
  ts: number;
  idx: number;
  matches: number[];
  /** The event is an exclusion event (it passes the global and the exclusion's filters). */
  excludes: boolean;
}

interface Spec {
  steps: string[];
  stepFilters: number[];
  global: number;
  exclusion: { event: string; fromStep: number; toStep: number } | undefined;
  windowMs: number;
  order: Order;
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

/** The steps each event fills, and whether it is an exclusion event; only events inside [FROM, TO]. */
function itemsOf(all: Raw[], spec: Spec): Item[] {
  const success = all
    .map((e, idx) => ({ ...e, idx }))
    .filter((e) => e.name === 'api_call' && e.status! >= 200 && e.status! < 300)
    .sort((a, b) => a.ts - b.ts || a.idx - b.idx)[0];
  return all
    .map((e, idx) => {
      const global = FILTERS[spec.global]!.test(e.plan);
      return {
        name: e.name,
        ts: e.ts,
        idx,
        matches: spec.steps.flatMap((s, k) =>
          (s === 'first_successful_call' ? success?.idx === idx : s === e.name) && global && FILTERS[spec.stepFilters[k]!]!.test(e.plan) ? [k] : [],
        ),
        excludes: global && spec.exclusion?.event === e.name,
      };
    })
    .filter((e) => e.ts >= FROM && e.ts <= TO)
    .sort((a, b) => a.ts - b.ts);
}

interface Attempt {
  start: number;
  times: number[];
  excluded: boolean;
}

/** One ordered or strict attempt from the step-1 event at `i`. */
function walk(items: Item[], i: number, spec: Spec): Attempt {
  const { steps, windowMs, order, exclusion } = spec;
  const first = items[i]!;
  const times = [first.ts];
  let excluded = false;
  let pos = i;
  const inWindow = (j: number) => items[j]!.ts - first.ts <= windowMs;
  const hits = (j: number) =>
    exclusion !== undefined && items[j]!.excludes && inWindow(j) && times.length - 1 >= exclusion.fromStep && times.length - 1 < exclusion.toStep;
  for (let k = times.length; k < steps.length; k = times.length) {
    let next = -1;
    for (let j = pos + 1; j < items.length && inWindow(j); j++) {
      if (!excluded && hits(j)) excluded = true;
      if (items[j]!.matches.includes(k)) {
        next = j;
        break;
      }
      // Strict: the very next event must be step k; a repeat of the step just reached is not "another" event.
      if (order === 'strict' && !items[j]!.matches.includes(k - 1)) break;
    }
    if (next < 0) break;
    const wasExcluded = excluded;
    times.push(items[next]!.ts);
    pos = next;
    // An excluded attempt advances at most one more step.
    if (wasExcluded) break;
  }
  if (!excluded && exclusion !== undefined && times.length < steps.length) {
    for (let j = pos + 1; j < items.length && inWindow(j); j++) {
      if (hits(j)) excluded = true;
      if (order === 'strict' && !excluded) break;
    }
  }
  return { start: first.ts, times, excluded };
}

function referencePerson(all: Raw[], spec: Spec): RefOutcome {
  const items = itemsOf(all, spec);
  const { steps, windowMs } = spec;
  if (spec.order === 'any') {
    let best: RefOutcome = { depth: 0, start: NaN, times: [] };
    for (const first of items) {
      if (first.matches.length === 0) continue;
      const stop = Math.min(...items.filter((e) => e.excludes && e.ts > first.ts).map((e) => e.ts));
      const inWindow = items.filter((e) => e.ts >= first.ts && e.ts - first.ts <= windowMs && e.ts < stop);
      const depth = maxMatching(inWindow, steps.length);
      const times: number[] = [];
      for (let k = 1; k <= depth; k++) {
        let n = 1;
        while (maxMatching(inWindow.slice(0, n), steps.length) < k) n++;
        times.push(inWindow[n - 1]!.ts);
      }
      if (depth > best.depth) best = { depth, start: first.ts, times };
    }
    return best;
  }
  const attempts = items.flatMap((e, i) => (e.matches.includes(0) ? [walk(items, i, spec)] : []));
  const depth = Math.max(0, ...attempts.map((a) => a.times.length));
  const clean = attempts.filter((a) => a.times.length === depth && !a.excluded).sort((a, b) => a.times[depth - 1]! - b.times[depth - 1]! || b.start - a.start);
  const kept = clean[0];
  return kept ? { depth, start: kept.start, times: kept.times } : { depth: 0, start: NaN, times: [] };
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
}

function referenceFunnel(byPerson: Map<string, Raw[]>, spec: Spec) {
  const { steps, windowMs } = spec;
  const outcomes = [...byPerson.values()].map((evs) => referencePerson(evs, spec)).filter((o) => o.depth > 0);
  return steps.map((_, k) => {
    const count = outcomes.filter((o) => o.depth > k).length;
    const stalled = k === 0 ? [] : outcomes.filter((o) => o.depth === k);
    const inProgress = stalled.filter((o) => o.start + windowMs > TO).length;
    const gaps = k === 0 ? [] : outcomes.filter((o) => o.depth > k && o.times[k]! > o.times[k - 1]!).map((o) => (o.times[k]! - o.times[k - 1]!) / 1000);
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
  name: fc.constantFrom(...NAMES, 'api_call'),
  unit: fc.integer({ min: -3, max: 33 }),
  status: fc.constantFrom(200, 201, 401, 500),
  plan: fc.constantFrom(undefined, 'free', 'team'),
});

const specArb = (order: Order) =>
  fc
    .record({
      stepSet: fc.constantFrom(...STEP_SETS.keys()),
      stepFilters: fc.array(fc.integer({ min: 0, max: FILTERS.length - 1 }), { minLength: 4, maxLength: 4 }),
      global: fc.constantFrom(0, 0, 2),
      exclusion: fc.option(fc.record({ event: fc.constantFrom(...NAMES), from: fc.nat(3), span: fc.integer({ min: 1, max: 3 }) })),
      window: fc.constantFrom(...Object.keys(WINDOWS)),
    })
    .map(({ stepSet, stepFilters, global, exclusion, window }) => {
      const steps = STEP_SETS[stepSet]!;
      const last = steps.length - 1;
      // Exclusions never name a step event (a 400), nor the call behind first_successful_call (one event that is
      // both a step and an exclusion); any-order ones span the whole funnel (a 400 otherwise).
      const usable = exclusion && !steps.includes(exclusion.event) && !(exclusion.event === 'api_call' && steps.includes('first_successful_call'));
      const fromStep = order === 'any' ? 0 : Math.min(exclusion?.from ?? 0, last - 1);
      const toStep = order === 'any' ? last : Math.min(fromStep + (exclusion?.span ?? 1), last);
      const spec: Spec = {
        steps,
        stepFilters: stepFilters.slice(0, steps.length),
        global,
        exclusion: usable ? { event: exclusion.event, fromStep, toStep } : undefined,
        windowMs: WINDOWS[window]!,
        order,
      };
      return { spec, window };
    });

/** The report's query for a spec: steps in the JSON form with their filters, global properties and exclusions. */
function queryOf(spec: Spec, window: string): Record<string, string> {
  return {
    from: iso(FROM),
    to: iso(TO),
    steps: JSON.stringify(spec.steps.map((event, k) => ({ event, properties: FILTERS[spec.stepFilters[k]!]!.filters }))),
    window,
    order: spec.order,
    ...(spec.global ? { properties: JSON.stringify(FILTERS[spec.global]!.filters) } : {}),
    ...(spec.exclusion ? { exclusions: JSON.stringify([spec.exclusion]) } : {}),
  };
}

describe('funnel matches the reference implementation on random event sets', () => {
  it.each(['ordered', 'strict', 'any'] as const)('%s', async (order) => {
    // One fresh database per test, emptied between runs (migrating a new one per run would dominate the time).
    const { app, db } = testApp();
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 0, maxLength: 16 }),
        specArb(order),
        fc.nat(3),
        fc.constantFrom('reached', 'dropped', 'inProgress'),
        async (raw, { spec, window }, personsStep, status) => {
          // Distinct times per event: ties between events have their own fixtures (funnel-rules.test.ts).
          const timed = raw.map((r, i) => ({ ...r, ts: FROM + r.unit * UNIT + i }));
          const propsOf = (r: (typeof timed)[number]) => ({
            ...(r.name === 'api_call' ? { status: r.status } : {}),
            ...(r.plan === undefined ? {} : { plan: r.plan }),
          });
          const events: Ev[] = timed.map((r) => ({ event: r.name, who: r.who, at: r.ts, props: propsOf(r) }));
          const byPerson = new Map<string, Raw[]>();
          for (const r of timed) {
            const list = byPerson.get(r.who) ?? [];
            list.push({ name: r.name, ts: r.ts, ...(r.name === 'api_call' ? { status: r.status } : {}), ...(r.plan === undefined ? {} : { plan: r.plan }) });
            byPerson.set(r.who, list);
          }
          await deleteAllEvents(db);
          await ingest(db, events);
          const query = queryOf(spec, window);
          const res = await getReport(app, 'funnel', query);
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          const got = res.body.steps.map((s: any) => ({
            count: s.count,
            inProgress: s.inProgress,
            dropOff: s.dropOff,
            median: s.medianSecondsFromPrevious,
            p90: s.p90SecondsFromPrevious,
          }));
          expect(got).toEqual(referenceFunnel(byPerson, spec));
          // The persons list always totals the report's figure for that step and status.
          const step = Math.min(personsStep, spec.steps.length - 1);
          const persons = await getReport(app, 'funnel/persons', { ...query, step: String(step), status, limit: '1' });
          const figure = status === 'reached' ? got[step].count : status === 'dropped' ? got[step].dropOff : got[step].inProgress;
          expect(persons.body.total).toBe(figure);
        },
      ),
      { numRuns: Number(process.env.FUNNEL_PROPERTY_RUNS ?? 300), seed: 20260331 + order.length },
    );
  });
});
