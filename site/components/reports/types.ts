/** Response shapes of the reports API (issue 4) and the events API, as the reports pages read them. */

export interface FunnelStep {
  event: string;
  count: number;
  /** null when step 1 (or the previous step) has no one. */
  conversionFromStart: number | null;
  conversionFromPrevious: number | null;
  dropOff: number;
  inProgress: number;
  medianSecondsFromPrevious: number | null;
  p90SecondsFromPrevious: number | null;
}

export interface ErrorCount {
  code: string;
  count: number;
}

export interface LastPage {
  path: string;
  count: number;
  helpfulRate: number | null;
}

export interface FunnelFlag {
  step: number;
  event: string;
  kind: 'significant_drop' | 'low_conversion' | 'slowest_step' | string;
  severity: string;
  message: string;
  evidence: {
    previousRate?: number | null;
    currentRate?: number | null;
    p?: number | null;
    topErrors?: ErrorCount[];
    lastPages?: LastPage[];
  };
}

export interface FunnelResponse {
  from: string;
  to: string;
  window: string;
  order: string;
  steps: FunnelStep[];
  breakdown?: Array<{ value: string | null; steps: FunnelStep[] }>;
  flags: FunnelFlag[];
}

export interface TtfsiResponse {
  completed: number;
  inProgress: number;
  percentiles: { p50: number | null; p75: number | null; p90: number | null; p95: number | null };
  kaplanMeier: { median: number | null; points: Array<{ seconds: number; survival: number }> };
  histogram: Array<{ fromSeconds: number; toSeconds: number; count: number }>;
  cohorts: Array<{ week: string; started: number; completed: number; p50: number | null }>;
}

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

export interface DocsResponse {
  pages: DocPage[];
}

export interface EndpointHealth {
  endpoint: string;
  calls: number;
  /** null without calls. */
  errorRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  topErrors: ErrorCount[];
}

export interface ApiHealthResponse {
  overall: { calls: number; errorRate: number | null; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null };
  endpoints: EndpointHealth[];
  firstCallErrors: ErrorCount[];
  supportTicketsPer1kCalls: number | null;
}

export interface EventRecord {
  uuid: string;
  event: string;
  distinctId: string;
  personId: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

export interface EventsResponse {
  events: EventRecord[];
}
