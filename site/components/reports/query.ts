/**
 * The report controls as URL query state, so any view is a shareable link. Pure: parsing never throws, unknown
 * or malformed values fall back to defaults and the API remains the judge of what is valid.
 */
import { DEFAULT_STEPS, DEFAULT_WINDOW } from '../../../api/analytics/contract.ts';
import { type Exclusion, encodeExclusionsParam, encodeStepsParam, type PropertyFilter, parseExclusionsParam, parseStepsParam } from './funnel-filters.ts';

export { DEFAULT_STEPS, DEFAULT_WINDOW };

export const RANGE_PRESETS = ['7d', '30d', '90d'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number] | 'custom';
export const FUNNEL_ORDERS = ['ordered', 'strict', 'any'] as const;
export type FunnelOrder = (typeof FUNNEL_ORDERS)[number];

export const WINDOW_CHOICES = ['30m', '1h', '12h', '1d', '3d', '7d', '14d', '30d', '90d'];
export const MAX_STEPS = 10;
export const MIN_STEPS = 2;

/** Event names the funnel step pickers suggest; any other event name can still be typed. */
export const KNOWN_EVENTS = [
  '$pageview',
  'quickstart_started',
  'code_copied',
  'doc_feedback',
  'signed_up',
  'api_key_created',
  'api_call',
  'first_successful_call',
  'support_ticket_created',
  'api_key_revoked',
];

export interface ReportQuery {
  range: RangePreset;
  /** `YYYY-MM-DD` (UTC), used when range is `custom`. */
  from: string;
  to: string;
  window: string;
  steps: string[];
  order: FunnelOrder;
  /** Property name to break the funnel down by; empty = none. */
  breakdown: string;
  /** Property filters of each step, by position in `steps` (missing = none). */
  stepFilters: PropertyFilter[][];
  /** Exclusion steps of the funnel. */
  exclusions: Exclusion[];
}

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const WINDOW = /^[1-9]\d{0,4}[smhdw]$/;

function isDate(value: string | null): value is string {
  return value !== null && DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

/** Defaults: last 30 days, 14-day window, signup → key → first success, ordered, no breakdown. */
export function defaultQuery(): ReportQuery {
  return {
    range: '30d',
    from: '',
    to: '',
    window: DEFAULT_WINDOW,
    steps: [...DEFAULT_STEPS],
    order: 'ordered',
    breakdown: '',
    stepFilters: [],
    exclusions: [],
  };
}

/** Reads the controls from a query string (`?range=7d&steps=a,b`). */
export function parseQuery(search: string): ReportQuery {
  const params = new URLSearchParams(search);
  const q = defaultQuery();
  const range = params.get('range');
  const from = params.get('from');
  const to = params.get('to');
  if (range === 'custom' || (range === null && isDate(from))) {
    if (isDate(from)) {
      q.range = 'custom';
      q.from = from;
      q.to = isDate(to) && to >= from ? to : from;
    }
  } else if ((RANGE_PRESETS as readonly string[]).includes(range ?? '')) {
    q.range = range as RangePreset;
  }
  const window = params.get('window');
  if (window && WINDOW.test(window)) q.window = window;
  const steps = parseStepsParam(params.get('steps'));
  if (steps && steps.steps.length >= MIN_STEPS) {
    q.steps = steps.steps.slice(0, MAX_STEPS);
    // Plain steps keep the default (no filters), so a link without filters reads back exactly as it was written.
    if (steps.filters.some((f) => f.length > 0)) q.stepFilters = steps.filters.slice(0, MAX_STEPS);
  }
  q.exclusions = parseExclusionsParam(params.get('exclusions')).filter((x) => x.toStep < q.steps.length);
  const order = params.get('order');
  if ((FUNNEL_ORDERS as readonly string[]).includes(order ?? '')) q.order = order as FunnelOrder;
  const breakdown = params.get('breakdown')?.trim() ?? '';
  if (breakdown.length <= 200) q.breakdown = breakdown;
  return q;
}

/**
 * Writes the controls back as a query string, leaving out defaults so links stay short. `extra` carries a
 * page's own state (e.g. the selected doc page) and keeps unrelated keys from the current URL.
 */
export function toSearch(q: ReportQuery, extra: Record<string, string | null | undefined> = {}): string {
  const params = new URLSearchParams();
  if (q.range === 'custom') {
    params.set('range', 'custom');
    params.set('from', q.from);
    params.set('to', q.to);
  } else if (q.range !== '30d') {
    params.set('range', q.range);
  }
  if (q.window !== DEFAULT_WINDOW) params.set('window', q.window);
  const steps = encodeStepsParam(q.steps, q.stepFilters);
  if (steps !== DEFAULT_STEPS.join(',')) params.set('steps', steps);
  const exclusions = encodeExclusionsParam(q.exclusions.filter((x) => x.toStep < q.steps.length));
  if (exclusions) params.set('exclusions', exclusions);
  if (q.order !== 'ordered') params.set('order', q.order);
  if (q.breakdown) params.set('breakdown', q.breakdown);
  for (const [key, value] of Object.entries(extra)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The concrete `[from, to]` instants for the API. Presets end at `now`; a custom range covers whole UTC days,
 * `to` inclusive up to its last millisecond.
 */
export function resolveRange(q: Pick<ReportQuery, 'range' | 'from' | 'to'>, now: number): { from: string; to: string } {
  if (q.range === 'custom' && isDate(q.from) && isDate(q.to)) {
    return {
      from: new Date(`${q.from}T00:00:00.000Z`).toISOString(),
      to: new Date(Date.parse(`${q.to}T00:00:00.000Z`) + DAY_MS - 1).toISOString(),
    };
  }
  const days = q.range === '7d' ? 7 : q.range === '90d' ? 90 : 30;
  return { from: new Date(now - days * DAY_MS).toISOString(), to: new Date(now).toISOString() };
}

/** Query parameters for `GET /api/v1/reports/funnel`. */
export function funnelParams(q: ReportQuery, range: { from: string; to: string }): Record<string, string> {
  const params: Record<string, string> = { from: range.from, to: range.to, steps: encodeStepsParam(q.steps, q.stepFilters), window: q.window, order: q.order };
  const exclusions = encodeExclusionsParam(q.exclusions.filter((x) => x.toStep < q.steps.length));
  if (exclusions) params.exclusions = exclusions;
  if (q.breakdown) params.breakdown = q.breakdown;
  return params;
}

/**
 * Only same-site report paths are allowed as a post-login destination, so a crafted `?next=` link cannot bounce
 * the admin to another site.
 */
export function safeNext(next: string | null): string {
  if (!next?.startsWith('/reports') || next.startsWith('//') || /[\\\s]/.test(next)) return '/reports/';
  if (next.startsWith('/reports/login')) return '/reports/';
  return next;
}
