/**
 * Response shapes of the reports API and the events API, as the reports pages read them. Shapes the
 * analytics code already defines are imported as types only, so the pages and the API cannot drift apart.
 */
import type { DocPage } from '../../../api/analytics/docs.ts';
import type { FunnelStep } from '../../../api/analytics/funnel.ts';
import type { TtfsiReport } from '../../../api/analytics/ttfsi.ts';

export type { DocPage, FunnelStep };
export type TtfsiResponse = TtfsiReport;

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
