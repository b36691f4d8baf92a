/**
 * The reports API's contract: parameter defaults, response shapes and the caps on returned text, defined once and
 * read by both the API (api/analytics) and the reports pages (site/components/reports). Nothing here may import
 * server-only code: the portal bundles this file.
 */

/** Name of the virtual step: a person's earliest `api_call` with a 2xx status, over all time. */
export const FIRST_SUCCESSFUL_CALL = 'first_successful_call';
/** Funnel steps when `steps` is not given. */
export const DEFAULT_STEPS = ['signed_up', 'api_key_created', FIRST_SUCCESSFUL_CALL] as const;
/** Length of the range when `from` is not given, ending at `to` (default now). */
export const DEFAULT_RANGE_DAYS = 30;
/** Conversion window when `window` is not given. */
export const DEFAULT_WINDOW = '14d';
/** Default `minConversion` for the low_conversion flag (conversion from the previous step). */
export const DEFAULT_MIN_CONVERSION = 0.25;
/** Longest event name a report parameter accepts. */
export const MAX_EVENT_NAME = 200;
/** Breakdown values shown by name when `breakdownLimit` is not given; the rest are summed into "Other". */
export const DEFAULT_BREAKDOWN_LIMIT = 25;
/** Largest `breakdownLimit`. */
export const MAX_BREAKDOWN_LIMIT = 500;
/** Persons listed per page when `limit` is not given, and the most a page may hold. */
export const DEFAULT_PERSONS_LIMIT = 100;
export const MAX_PERSONS_LIMIT = 500;
/** Time-to-convert bins when `bins` is not given, and the most allowed. */
export const DEFAULT_TIME_TO_CONVERT_BINS = 20;
export const MAX_TIME_TO_CONVERT_BINS = 100;
/** Longest regular expression a property filter accepts (`regex`, `not_regex`). */
export const MAX_FILTER_REGEX = 500;
/** Trend intervals default to days up to this many days of range, weeks beyond. */
export const TREND_DAILY_MAX_DAYS = 31;

/**
 * Longest free text a report or the events listing returns, per kind, in UTF-16 code units. Longer text is cut and
 * ends with {@link ELLIPSIS}, so a client-sent value can never make a response unbounded.
 */
export const TEXT_CAPS = {
  /** Page paths (docs pages, flag evidence) and API endpoints. */
  path: 2_048,
  /** Doc feedback comments. */
  comment: 1_000,
  /** API error codes. */
  errorCode: 100,
  /** Doc feedback reasons and breakdown values (any client-sent property value). */
  label: 200,
  /** Event names and distinct ids in the events listing. */
  name: 200,
} as const;
/** Serialized `properties` of one listed event above this many bytes (UTF-8) are left out; see `ListedEvent`. */
export const MAX_LISTED_PROPERTIES_BYTES = 64 * 1024;
/** Ends a cut text. */
export const ELLIPSIS = '…';

/** `text` cut to at most `max` code units, ending with an ellipsis when cut; never splits a surrogate pair. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

/** {@link capText} for a value that may be missing. */
export function capOptionalText(text: string | null, max: number): string | null {
  return text === null ? null : capText(text, max);
}

export type FunnelOrder = 'ordered' | 'strict' | 'any';

/** PostHog's property operators, with PostHog's meaning (see docs/api.md "Property filters"). */
export const PROPERTY_OPERATORS = [
  'exact',
  'is_not',
  'icontains',
  'not_icontains',
  'regex',
  'not_regex',
  'gt',
  'gte',
  'lt',
  'lte',
  'is_set',
  'is_not_set',
] as const;
export type PropertyOperator = (typeof PROPERTY_OPERATORS)[number];
export type PropertyScalar = string | number | boolean;

/** A property filter on an event (`type` event, the default) or on its person's current properties (`person`). */
export interface PropertyFilter {
  key: string;
  type?: 'event' | 'person';
  /** Default `exact`. */
  operator?: PropertyOperator;
  value?: PropertyScalar | PropertyScalar[];
}

/** One step of the JSON `steps` form: an event name, or an event with a display name and property filters. */
export type FunnelStepInput = string | { event: string; name?: string; properties?: PropertyFilter[] };

/** An exclusion step: an attempt in which `event` happens between its step `fromStep` and step `toStep` is excluded. */
export interface FunnelExclusion {
  event: string;
  properties?: PropertyFilter[];
  /** 0-based. */
  fromStep: number;
  /** 0-based, greater than `fromStep`. */
  toStep: number;
}

/** How a person's breakdown value is chosen. */
export type BreakdownAttribution = 'first_touch' | 'last_touch' | 'step';

/** One row of `steps` in the funnel response. */
export interface FunnelStep {
  event: string;
  /** The step's display name (default: its event name). */
  name: string;
  count: number;
  conversionFromStart: number | null;
  conversionFromPrevious: number | null;
  dropOff: number;
  inProgress: number;
  /** Mean over persons who reached this step, conversions of exactly 0 seconds left out (as PostHog). */
  averageSecondsFromPrevious: number | null;
  medianSecondsFromPrevious: number | null;
  p90SecondsFromPrevious: number | null;
}

/** Which persons `GET /api/v1/reports/funnel/persons` lists at a step. */
export type FunnelPersonStatus = 'reached' | 'dropped' | 'inProgress';

/** One person of `GET /api/v1/reports/funnel/persons`. */
export interface FunnelPerson {
  personId: string;
  distinctIds: string[];
  /** The person's `email` property when known. */
  email: string | null;
  /** Step-1 time of the person's counted attempt (ISO 8601). */
  enteredAt: string;
  /** When that attempt reached the listed step (ISO 8601); null for dropped and in-progress persons. */
  reachedAt: string | null;
}

/** `GET /api/v1/reports/funnel/persons`. */
export interface FunnelPersonsReport {
  /** Equals the funnel report's count for that step and status. */
  total: number;
  persons: FunnelPerson[];
}

/** One interval of `GET /api/v1/reports/funnel/trend`. */
export interface FunnelTrendPoint {
  /** Start of the interval (ISO 8601): a UTC day, or an ISO week starting Monday. */
  start: string;
  entered: number;
  completed: number;
  inProgress: number;
  /** completed / entered; null when nobody entered. */
  conversion: number | null;
}

/** `GET /api/v1/reports/funnel/trend`. */
export interface FunnelTrendReport {
  interval: 'day' | 'week';
  points: FunnelTrendPoint[];
}

/** `GET /api/v1/reports/funnel/time-to-convert`. */
export interface TimeToConvertReport {
  bins: Array<{ fromSeconds: number; toSeconds: number; persons: number }>;
  averageSeconds: number | null;
  medianSeconds: number | null;
}

export type FlagKind = 'significant_drop' | 'low_conversion' | 'slowest_step';
export type Severity = 'high' | 'medium' | 'low';

/** An outcome code and how many calls had it. */
export interface CodeCount {
  code: string;
  count: number;
}

/** A page stalled persons saw last, and its helpful rate. */
export interface LastPage {
  path: string;
  count: number;
  helpfulRate: number | null;
}

/** An outcome code, how many failed calls had it, and how many distinct persons made them. */
export interface ErrorCount extends CodeCount {
  persons: number;
}

export interface FlagEvidence {
  previousRate: number | null;
  currentRate: number | null;
  p: number | null;
  topErrors: ErrorCount[];
  lastPages: LastPage[];
}

export interface Flag {
  step: number;
  event: string;
  kind: FlagKind;
  severity: Severity;
  message: string;
  evidence: FlagEvidence;
}

/** `GET /api/v1/reports/funnel`. */
export interface FunnelReport {
  from: string;
  to: string;
  window: string;
  order: FunnelOrder;
  steps: FunnelStep[];
  /** Empty unless `breakdown` was asked for. */
  breakdown: Array<{ value: string | null; steps: FunnelStep[] }>;
  flags: Flag[];
  /** The same funnel (steps, window, order; no breakdown) over the previous period of the same length. */
  previous: FunnelPrevious;
}

/**
 * A report's previous period: the same length as [from, to], ending 1 ms before `from`. `p` fields are two-sided
 * two-proportion z-tests of the current rate against the previous one (null when either side has under 30 persons).
 */
export interface PeriodBounds {
  from: string;
  to: string;
}

/** `previous` of the funnel report. */
export interface FunnelPrevious extends PeriodBounds {
  steps: FunnelStep[];
  /** Test of the overall conversion (last step count / first step count) against the previous period. */
  overallConversionP: number | null;
}

export interface HistogramBin {
  fromSeconds: number;
  toSeconds: number;
  count: number;
}

export interface SurvivalPoint {
  seconds: number;
  survival: number;
}

/** `GET /api/v1/reports/ttfsi`. */
export interface TtfsiReport {
  completed: number;
  inProgress: number;
  percentiles: { p50: number | null; p75: number | null; p90: number | null; p95: number | null };
  kaplanMeier: { median: number | null; points: SurvivalPoint[] };
  histogram: HistogramBin[];
  cohorts: Array<{ week: string; started: number; completed: number; p50: number | null }>;
  /** The same figures over the previous period of the same length. */
  previous: TtfsiPrevious;
}

/** `previous` of the TTFSI report. */
export interface TtfsiPrevious extends PeriodBounds {
  completed: number;
  inProgress: number;
  /** Kaplan–Meier median, in seconds. */
  median: number | null;
  /** Test of the completion rate (completed / started) against the previous period. */
  completionP: number | null;
}

/** One page of the doc satisfaction report. */
export interface DocPage {
  path: string;
  /** The page's title as the latest `$pageview` in range sent it (posthog-js sends `title`); null when none did. */
  title: string | null;
  views: number;
  readers: number;
  helpful: number;
  notHelpful: number;
  helpfulRate: number | null;
  wilsonLower: number | null;
  reasons: Record<string, number>;
  /** `helpful` is the vote sent with the comment (null when the event carried none). */
  comments: Array<{ text: string; timestamp: string; helpful: boolean | null }>;
  readerConversion: number | null;
  nonReaderConversion: number | null;
  flagged: boolean;
}

/** `GET /api/v1/reports/docs`. */
export interface DocsReport {
  pages: DocPage[];
  /** Totals over docs and quickstart pages (`/docs/…`, `/quickstarts/…`) in range. */
  summary: DocsSummary;
  /** The same totals over the previous period of the same length. */
  previous: DocsSummary & PeriodBounds & { /** Test of the helpful rate against the previous period. */ helpfulRateP: number | null };
}

/** Headline totals of the doc satisfaction report. */
export interface DocsSummary {
  views: number;
  readers: number;
  helpful: number;
  notHelpful: number;
  helpfulRate: number | null;
}

/** Page paths the doc satisfaction report counts as documentation (its default view and its summary). */
export const DOC_PATH_PREFIXES = ['/docs/', '/quickstarts/'] as const;

/** True for a docs or quickstart page path. */
export function isDocPath(path: string): boolean {
  return DOC_PATH_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** One bucket of `GET /api/v1/reports/docs/trend`. */
export interface DocTrendPoint {
  /** Start of the bucket (UTC day or ISO week), YYYY-MM-DD. */
  period: string;
  views: number;
  helpful: number;
  notHelpful: number;
  helpfulRate: number | null;
}

/** `GET /api/v1/reports/docs/trend`: one page's views and votes over time. */
export interface DocTrend {
  path: string;
  bucket: 'day' | 'week';
  points: DocTrendPoint[];
}

/** Call count, error rate and latency of a set of calls. */
export interface LatencySummary {
  calls: number;
  /** null without calls. */
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** Request-based availability of a set of calls, and what is left of its SLO's error budget; nulls without calls. */
export interface AvailabilitySummary {
  /** 1 − 5xx calls ÷ calls. */
  availability: number | null;
  /** −log10(1 − availability), one decimal, 6 when no call got a 5xx. */
  nines: number | null;
  slo: { target: number; errorBudgetRemaining: number | null };
}

export interface EndpointHealth extends LatencySummary, AvailabilitySummary {
  endpoint: string;
  topErrors: CodeCount[];
}

/** `GET /api/v1/reports/api-health`. */
export interface ApiHealthReport {
  overall: LatencySummary & AvailabilitySummary;
  endpoints: EndpointHealth[];
  firstCallErrors: CodeCount[];
  supportTicketsPer1kCalls: number | null;
}

/** One event as `GET /api/v1/events` lists it. */
export interface ListedEvent {
  uuid: string;
  event: string;
  distinctId: string;
  personId: string;
  timestamp: string;
  /** `{}` when the stored properties serialize to more than MAX_LISTED_PROPERTIES_BYTES (then `propertiesOmitted`). */
  properties: Record<string, unknown>;
  /** Present (true) only when `properties` was left out for its size. */
  propertiesOmitted?: true;
  /** The person's `email` property (set by `$identify` / `$set`), null when unknown. */
  personEmail: string | null;
}

/** `GET /api/v1/events`. */
export interface EventsResponse {
  events: ListedEvent[];
}
