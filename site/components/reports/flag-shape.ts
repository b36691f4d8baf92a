/** Pure shaping of funnel flags into callouts a PM reads at a glance: plain words first, the evidence once per step. */
import type { Flag as FunnelFlag, FunnelStep } from '../../../api/analytics/contract.ts';
import { formatCount, formatPercent, plainP } from './format.ts';
import { stepLabel } from './funnel-shape.ts';
import { defaultQuery, type ReportQuery, toSearch } from './query.ts';

export interface FlagCallout {
  key: string;
  step: number;
  title: string;
  severity: 'high' | 'medium' | 'low';
  transition: string;
  message: string;
  /** One line a PM reads first: who is stuck between the two steps, and why "Dropped" may still read 0. */
  explanation: string | null;
  rateChange: string | null;
  topErrors: Array<{ code: string; count: number; persons: number | null; label: string }>;
  lastPages: Array<{ path: string; count: number; helpfulRate: number | null; href: string }>;
}

const FLAG_TITLES: Record<string, string> = {
  significant_drop: 'Significant drop',
  low_conversion: 'Low conversion',
  slowest_step: 'Slowest step',
};

/** What a developer did to reach a step, in words: `api_key_created` → "created a key". Unknown events keep their name. */
const STEP_DEEDS: Record<string, string> = {
  signed_up: 'signed up',
  api_key_created: 'created a key',
  first_successful_call: 'made a successful call',
  quickstart_started: 'started a quickstart',
  code_copied: 'copied code',
  api_call: 'made an API call',
  $pageview: 'viewed a page',
};

/** `created a key` for a known step, `reached “name”` otherwise. */
export function stepDeed(event: string): string {
  return STEP_DEEDS[event] ?? `reached “${event}”`;
}

function severityOf(value: string): FlagCallout['severity'] {
  const v = value.toLowerCase();
  if (v === 'high' || v === 'critical' || v === 'error') return 'high';
  if (v === 'low' || v === 'info') return 'low';
  return 'medium';
}

/** Link to a doc page's row on the satisfaction page, keeping the date range of the current view. */
export function docsRowHref(path: string, q: ReportQuery): string {
  return `/reports/docs/${toSearch({ ...defaultQuery(), range: q.range, from: q.from, to: q.to }, { page: path })}`;
}

type StepCounts = Pick<FunnelStep, 'event'> & Partial<Pick<FunnelStep, 'count' | 'dropOff' | 'inProgress'>>;

/** `1 developer` / `153 developers`. */
export function developers(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'developer' : 'developers'}`;
}

/**
 * "153 developers created a key but have not made a successful call; 41.0% did so against 85.0% before." When none
 * of them count as dropped yet (all still inside their window), it says so, since the table's "Dropped 0" next to a
 * flag otherwise reads as a contradiction.
 */
function explain(flag: FunnelFlag, steps: ReadonlyArray<StepCounts>, window: string): string | null {
  const before = steps[flag.step - 1];
  const at = steps[flag.step];
  if (!before || !at || typeof before.count !== 'number' || typeof at.count !== 'number' || flag.kind === 'slowest_step') return null;
  const stuck = before.count - at.count;
  const e = flag.evidence;
  const rates =
    flag.kind === 'significant_drop' && typeof e?.currentRate === 'number' && typeof e.previousRate === 'number'
      ? `; ${formatPercent(e.currentRate)} did so against ${formatPercent(e.previousRate)} the period before`
      : typeof e?.currentRate === 'number'
        ? `; ${formatPercent(e.currentRate)} did so`
        : '';
  const line = `${developers(stuck)} ${stepDeed(before.event)} but have not ${stepDeed(at.event)}${rates}.`;
  if (stuck > 0 && at.dropOff === 0 && (at.inProgress ?? 0) > 0)
    return `${line} None count as dropped yet: they are still inside the ${window} window, so the table shows them as in progress.`;
  return line;
}

/** "357 failed calls by 41 developers". */
export function failedCallsLabel(count: number, persons: number | null): string {
  const calls = `${formatCount(count)} failed ${count === 1 ? 'call' : 'calls'}`;
  return persons === null ? calls : `${calls} by ${developers(persons)}`;
}

/** A flag as a callout: what happened in plain words, between which steps, and the evidence with links to the doc rows. */
export function flagCallout(flag: FunnelFlag, steps: ReadonlyArray<StepCounts>, q: ReportQuery): FlagCallout {
  const previous = flag.step > 0 ? steps[flag.step - 1]?.event : undefined;
  const e = flag.evidence ?? {};
  const hasRates = typeof e.previousRate === 'number' && typeof e.currentRate === 'number';
  const p = typeof e.p === 'number' ? plainP(e.p) : null;
  return {
    key: `${flag.kind}-${flag.step}`,
    step: flag.step,
    title: FLAG_TITLES[flag.kind] ?? flag.kind.replace(/_/g, ' '),
    severity: severityOf(flag.severity ?? ''),
    transition: previous ? `${stepLabel(flag.step - 1, previous)} → ${stepLabel(flag.step, flag.event)}` : stepLabel(flag.step, flag.event),
    message: flag.message,
    explanation: explain(flag, steps, q.window),
    // The rates matter for a drop (before vs. now) and a low conversion (now); a slow step is about time.
    rateChange:
      flag.kind === 'significant_drop' && hasRates
        ? `Conversion ${formatPercent(e.previousRate)} in the previous period → ${formatPercent(e.currentRate)} now${p ? `: ${p}` : ''}`
        : flag.kind === 'low_conversion' && typeof e.currentRate === 'number'
          ? `Conversion ${formatPercent(e.currentRate)}`
          : null,
    topErrors: (e.topErrors ?? []).slice(0, 5).map((x) => {
      const persons = typeof x.persons === 'number' ? x.persons : null;
      return { code: x.code, count: x.count, persons, label: failedCallsLabel(x.count, persons) };
    }),
    lastPages: (e.lastPages ?? []).slice(0, 5).map((page) => ({ ...page, href: docsRowHref(page.path, q) })),
  };
}

/** Callouts in order, with each step's evidence kept on its first callout only (the others point up to it). */
export function withEvidenceOnce(callouts: FlagCallout[]): Array<FlagCallout & { evidenceAbove: boolean }> {
  const shown = new Set<number>();
  return callouts.map((c) => {
    const above = shown.has(c.step);
    shown.add(c.step);
    return { ...c, evidenceAbove: above };
  });
}
