import type { Context } from 'hono';
import type { DatabaseDialect } from '../../db/dialect.ts';
import type { AlertStorage } from '../alerts/storage.ts';
import type { ApiHealthSeries } from '../analytics/api-traffic/series.ts';
import type { SeriesParams } from '../analytics/api-traffic/series-params.ts';
import type {
  ApiHealthReport,
  DocsReport,
  DocTrend,
  FunnelPersonsReport,
  FunnelReport,
  FunnelTrendReport,
  TimeToConvertReport,
  TtfsiReport,
} from '../analytics/contract.ts';
import type { FunnelParams, FunnelPersonsParams, FunnelTimeToConvertParams, FunnelTrendParams } from '../analytics/funnel-params.ts';
import type { DocTrendParams, Range, TtfsiParams } from '../analytics/params.ts';
import type { Catalog, PersonJourney } from '../analytics/person-contract.ts';
import type { DemoSummary } from '../demo/seed.ts';
import type { LogCounts } from '../ingest/ingest-log.ts';
import type { RawCapture } from '../ingest/raw-log.ts';
import type { NormalizedEvent } from '../ingest/validate.ts';
import type { EventWriterOptions } from '../ingest/writer-options.ts';
import type { AccountRow, SupportTicketRow } from '../portal/accounts.ts';
import type { CallRecord, CallView } from '../portal/calls.ts';
import type { KeyCheck, KeyView } from '../portal/keys.ts';
import type { Message, messagePage } from '../portal/messages.ts';
import type { FailureCounter, HitResult, Limit } from '../portal/rate-limit.ts';
import type { SessionAccount } from '../portal/sessions.ts';
import type { EventsQuery, ListedEvent } from '../routes/events.ts';

/**
 * What capture, reports and shutdown need from an ingest writer; the SQLite writer (api/ingest/writer.ts) and the
 * PostgreSQL one (both from api/ingest/writer.ts) provide it.
 */
export interface IngestWriter {
  /** Resolves once the events are durably committed; rejects with a 503 ApiError when overloaded, closed or storage fails. */
  write(events: ReadonlyArray<NormalizedEvent>, raw?: RawCapture): Promise<void>;
  /** Resolves once every event acknowledged before the call is applied to `events`. */
  settle(): Promise<void>;
  /** Counts the log as committed now (every instance's rows): what is acknowledged and not applied, what is set aside. */
  refreshCounts(): Promise<LogCounts>;
  /** Commits what is queued, refuses new writes, then applies the log for up to `applyMs`. */
  close(applyMs?: number): void | Promise<void>;
  readonly backlogEvents: number;
  readonly failedLogRows: number;
  readonly queuedEvents: number;
  /** Requests acknowledged since start (bench and tests read it). */
  readonly committedRequests: number;
}

/** The reports, each the response body of its `/api/v1/reports/*` route. */
export interface ReportStore {
  funnel(params: FunnelParams): Promise<FunnelReport>;
  funnelPersons(params: FunnelPersonsParams): Promise<FunnelPersonsReport>;
  funnelTrend(params: FunnelTrendParams): Promise<FunnelTrendReport>;
  funnelTimeToConvert(params: FunnelTimeToConvertParams): Promise<TimeToConvertReport>;
  ttfsi(params: TtfsiParams): Promise<TtfsiReport>;
  docs(range: Range): Promise<DocsReport>;
  /** One page's views and votes over time. */
  docTrend(params: DocTrendParams): Promise<DocTrend>;
  /** `slo`: the availability target (ONRAMP_API_SLO); default 0.999. */
  apiHealth(range: Range, options?: { slo?: number | undefined }): Promise<ApiHealthReport>;
  apiHealthSeries(params: SeriesParams): Promise<ApiHealthSeries>;
  /** Event names and property keys seen in `range`, for the pickers. */
  catalog(range: Range): Promise<Catalog>;
  /** One person's journey by public id as of `now`; undefined when there is no such person. */
  person(personId: string, now: number): Promise<PersonJourney | undefined>;
  /** Loads what reports keep in memory (the per-developer state), so the first report after a start is not the one to pay for it. */
  warm(): Promise<void>;
}

/** Developer accounts, portal sessions, API keys, sandbox calls and messages, rate limits. */
export interface PortalStore {
  findAccountByEmail(email: string): Promise<AccountRow | null>;
  createAccount(account: AccountRow): Promise<'created' | 'email_taken'>;
  createSupportTicket(ticket: SupportTicketRow): Promise<void>;
  /** Creates a session row and sets the cookie on `c`. */
  startSession(c: Context, accountId: string, publicUrl: string | undefined, now?: number): Promise<void>;
  sessionAccount(c: Context, now?: number): Promise<SessionAccount | null>;
  endSession(c: Context, publicUrl: string | undefined): Promise<void>;
  createKey(accountId: string, name: string, now?: number): Promise<{ key: KeyView; secret: string }>;
  listKeys(accountId: string): Promise<KeyView[]>;
  revokeKey(accountId: string, keyId: string, now?: number): Promise<{ key: KeyView; changed: boolean } | null>;
  checkKey(presented: string): Promise<KeyCheck>;
  touchKey(keyId: string, now?: number): Promise<void>;
  recordCall(call: CallRecord): Promise<void>;
  recentCalls(accountId: string, limit: number): Promise<CallView[]>;
  createMessage(owner: { accountId: string; keyId: string }, input: { to: string; body: string }, now?: number): Promise<Message>;
  getMessage(accountId: string, id: string): Promise<Message | null>;
  listMessages(accountId: string, limit: number, afterSeq: number | null): Promise<ReturnType<typeof messagePage>>;
  /** Counts one hit in a fixed-window bucket (atomic in the database, so shared by every instance). */
  hit(bucket: string, limit: Limit, now?: number): Promise<HitResult>;
  /** Failed-login counters per bucket, each a 15-minute sliding window (the lockouts of api/portal/login-lockout.ts). */
  loginFailures: {
    /** Seconds the bucket is locked, by ten failures. */
    lockedFor(bucket: string, now?: number): Promise<number>;
    /** The bucket's live counter, or undefined. */
    read(bucket: string, now?: number): Promise<FailureCounter | undefined>;
    record(bucket: string, now?: number): Promise<number>;
    clear(bucket: string): Promise<void>;
  };
}

/** Reports sessions (`admin_sessions`): rows keyed by HMAC(adminToken, id), so every instance sees every login. */
export interface AdminSessionStore {
  create(now?: number): Promise<{ id: string; expiresAt: number }>;
  isValid(id: string, now?: number): Promise<boolean>;
  revoke(id: string): Promise<void>;
}

/**
 * Everything the app keeps in its database, behind one async surface so routes are written once: `DATABASE_URL`
 * picks SQLite (api/storage/sqlite.ts) or PostgreSQL (api/storage/postgres.ts). Shared state (identity, dedup,
 * sessions, rate limits) lives in the database, never in this object.
 */
export interface Storage {
  readonly dialect: DatabaseDialect;
  /** A new ingest writer on this database (the server makes one and shares it with the app). */
  createWriter(options?: EventWriterOptions): IngestWriter;
  reports: ReportStore;
  portal: PortalStore;
  adminSessions(adminToken: string): AdminSessionStore;
  /** Alert rules, their deliveries, and the reports their checks run. */
  alerts: AlertStorage;
  /** `GET /api/v1/events`. */
  listEvents(query: EventsQuery): Promise<ListedEvent[]>;
  /** Loads the demo history when there are no events yet; returns what it stored, or undefined. */
  seedDemoIfEmpty(): Promise<DemoSummary | undefined>;
  close(): Promise<void>;
}
