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

/** One row of `steps` in the funnel response. */
export interface FunnelStep {
  event: string;
  count: number;
  conversionFromStart: number | null;
  conversionFromPrevious: number | null;
  dropOff: number;
  inProgress: number;
  medianSecondsFromPrevious: number | null;
  p90SecondsFromPrevious: number | null;
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

export interface FlagEvidence {
  previousRate: number | null;
  currentRate: number | null;
  p: number | null;
  topErrors: CodeCount[];
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
}

/** One page of the doc satisfaction report. */
export interface DocPage {
  path: string;
  views: number;
  readers: number;
  helpful: number;
  notHelpful: number;
  helpfulRate: number | null;
  wilsonLower: number | null;
  reasons: Record<string, number>;
  comments: Array<{ text: string; timestamp: string }>;
  readerConversion: number | null;
  nonReaderConversion: number | null;
  flagged: boolean;
}

/** `GET /api/v1/reports/docs`. */
export interface DocsReport {
  pages: DocPage[];
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
}

/** `GET /api/v1/events`. */
export interface EventsResponse {
  events: ListedEvent[];
}
