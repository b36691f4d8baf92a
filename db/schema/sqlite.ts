import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * A person: one human behind one or more distinct ids. Reports count persons, never distinct ids.
 * `properties` holds the JSON built from `$set` / `$set_once`.
 */
export const persons = sqliteTable('persons', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  uuid: text('uuid').notNull().unique(),
  properties: text('properties').notNull().default('{}'),
  /** Set once an `$identify` named this person; an identified person is never merged away by another identify. */
  isIdentified: integer('is_identified', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at').notNull(),
});

/** Maps every distinct id ever seen to its current person. Merges repoint rows here. */
export const personDistinctIds = sqliteTable(
  'person_distinct_ids',
  {
    distinctId: text('distinct_id').primaryKey(),
    personId: integer('person_id')
      .notNull()
      .references(() => persons.id),
  },
  (t) => [index('person_distinct_ids_person').on(t.personId)],
);

/**
 * An `events` row (columns unqualified) that is a counted failed call: a failed `api_call` (a `call_error_code`) but
 * not one refused (401 / 403) for a key the API could not verify (`key_verified` JSON false), which error evidence
 * leaves out so made-up keys cannot move it (the same rule as `UNVERIFIED` in api/analytics/api-traffic/call.ts).
 * The condition of the partial index `events_failed_call_person_timestamp`: queries repeat it word for word
 * (`countedFailedCall` of the SQL fragments), which is what lets SQLite match the index, and the constant path
 * (not a bound one) is what lets both planners prove the match.
 */
export const countedFailedCall = sql`call_error_code IS NOT NULL AND NOT (call_status IN (401, 403) AND json_type(properties, '$.key_verified') IS 'false')`;

/**
 * Every accepted event, stored once per `uuid`. `person_id` is kept current by identity merges, so reports
 * group by it without a join. Times are integer epoch milliseconds.
 */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    uuid: text('uuid').notNull().unique(),
    event: text('event').notNull(),
    distinctId: text('distinct_id').notNull(),
    personId: integer('person_id')
      .notNull()
      .references(() => persons.id),
    /** Client time corrected for clock skew with `sent_at`. */
    timestamp: integer('timestamp').notNull(),
    receivedAt: integer('received_at').notNull(),
    properties: text('properties').notNull().default('{}'),
    /**
     * Reports helper (virtual, computed by SQLite, never written): for a failed `api_call` (status ≥ 400 or an
     * `error_code`) its outcome code, `error_code` else the status as text; NULL for every other event. Indexed
     * below so error evidence is read from the index instead of parsing each call's JSON.
     */
    callErrorCode: text('call_error_code').generatedAlwaysAs(
      sql`CASE WHEN event = 'api_call' AND (json_extract(properties, '$.status') >= 400 OR json_extract(properties, '$.error_code') IS NOT NULL) THEN COALESCE(json_extract(properties, '$.error_code'), CAST(json_extract(properties, '$.status') AS TEXT)) END`,
      { mode: 'virtual' },
    ),
    /** Reports helper (virtual): an `api_call`'s status, NULL for other events; not indexed (the failed-call index's condition reads it). */
    callStatus: integer('call_status').generatedAlwaysAs(sql`CASE WHEN event = 'api_call' THEN json_extract(properties, '$.status') END`, {
      mode: 'virtual',
    }),
    /** Reports helper (virtual): a `$pageview`'s `$pathname`, NULL for every other event; indexed for the docs report. */
    pageviewPath: text('pageview_path').generatedAlwaysAs(sql`CASE WHEN event = '$pageview' THEN json_extract(properties, '$."$pathname"') END`, {
      mode: 'virtual',
    }),
  },
  (t) => [
    index('events_event_timestamp').on(t.event, t.timestamp),
    index('events_person_timestamp').on(t.personId, t.timestamp),
    // Reports (api/analytics): covering index for per-event, per-person scans (funnel streams ordered by person,
    // TTFSI and evidence lookups) without touching table rows. Without `api_call` rows: most rows are calls, and the
    // reports read calls from the rollups and call facts (api/analytics/api-traffic/), so a raw call pays four index
    // entries (the table, uuid, the two above) plus one when it failed. A query using this index repeats its
    // condition (api/analytics/sql.ts `eventRows`); a funnel step on `api_call` reads `events_event_timestamp`.
    index('events_event_person_timestamp').on(t.event, t.personId, t.timestamp).where(sql`event <> 'api_call'`),
    // Reports: counted failed calls per person in time order with their code (flag evidence), read from the index
    // alone: its condition holds the unverified-key rule, so a query repeating it reads no table row nor JSON.
    index('events_failed_call_person_timestamp').on(t.personId, t.timestamp, t.callErrorCode).where(countedFailedCall),
    // Reports: page views grouped by page and person (docs report) straight from the index, without parsing JSON.
    index('events_pageview_path_person_timestamp').on(t.pageviewPath, t.personId, t.timestamp).where(sql`pageview_path IS NOT NULL`),
  ],
);

/**
 * The ingest log: what capture has acknowledged but not yet applied to `events`. Each row holds capture requests as
 * received, packed end to end (api/ingest/raw-log.ts; events written in process are logged as the request that
 * revalidates to them), so acknowledging costs one small append instead of a row per event with every report index.
 * The processor (api/ingest/log-processor.ts) applies the oldest rows, exactly as the direct store would have, and
 * deletes them in the same transaction. A row it cannot apply keeps its `error`.
 */
export const ingestLog = sqliteTable('ingest_log', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  eventCount: integer('event_count').notNull(),
  loggedAt: integer('logged_at').notNull(),
  /** Set when applying the row failed on its own; such rows are skipped, kept and reported, never dropped. */
  error: text('error'),
  /**
   * The requests' bodies end to end, unparsed, so capture never re-serializes an event. Applied by decoding and
   * validating each body again with `capture`.
   */
  body: blob('body', { mode: 'buffer' }).notNull(),
  /** JSON, per request: its byte length in `body` and what re-validating it needs (decode headers, `sent_at`, receive time, token, generated uuids). */
  capture: text('capture').notNull(),
  /**
   * Bit mask of the apply partitions (api/ingest/apply-partitions.ts) whose events in this row are not applied yet;
   * the row is deleted when none is left. Rows written before partitions existed hold every bit.
   */
  partitions: integer('partitions').notNull().default(-1),
  /**
   * 1 when the row holds an identity link (`$identify`, `$create_alias`): it is applied whole under the exclusive
   * apply lock, after every older row. Rows written before partitions existed count as linked.
   */
  links: integer('links').notNull().default(1),
});

export type EventRow = typeof events.$inferSelect;
export type PersonRow = typeof persons.$inferSelect;

// --- reports-ui: admin sessions (browser login to the reports) ---

/**
 * A browser session for the reports UI, created by exchanging the admin token once. Only a keyed hash of the
 * random session id is stored (HMAC with the admin token), so a leaked row cannot be replayed and rotating the
 * admin token ends every session.
 */
export const adminSessions = sqliteTable(
  'admin_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('admin_sessions_expires').on(t.expiresAt)],
);

// --- portal: developer accounts, sessions, API keys, sandbox, rate limits, support ---

/** A developer account of the portal. `id` (`acct_...`) is also the analytics distinct id of that developer. */
export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  /** Lower-cased and trimmed, so `A@x.io` and `a@x.io` are one account. */
  email: text('email').notNull().unique(),
  /** `scrypt$N$r$p$<salt b64>$<hash b64>`: the parameters travel with the hash so they can be raised later. */
  passwordHash: text('password_hash').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** A portal login session. Only the sha256 of the random cookie value is stored, so a leaked row is useless. */
export const portalSessions = sqliteTable(
  'portal_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('portal_sessions_account').on(t.accountId), index('portal_sessions_expires').on(t.expiresAt)],
);

/**
 * A sandbox API key. The secret is never stored: only the sha256 of the full key and its public prefix
 * (`onr_test_<8>`), which names the owner even when the secret part of a presented key is mistyped.
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    name: text('name').notNull(),
    prefix: text('prefix').notNull().unique(),
    keyHash: text('key_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('api_keys_account').on(t.accountId)],
);

/** Messages created through the sandbox API; `seq` orders them and backs the opaque list cursor. */
export const sandboxMessages = sqliteTable(
  'sandbox_messages',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull().unique(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    keyId: text('key_id').notNull(),
    to: text('to').notNull(),
    body: text('body').notNull(),
    status: text('status').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('sandbox_messages_account_seq').on(t.accountId, t.seq)],
);

/**
 * Every sandbox call, recorded at request time so the dashboard can show a developer their recent calls.
 * `account_id` is null when the presented key names no known owner.
 */
export const sandboxCalls = sqliteTable(
  'sandbox_calls',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: text('account_id').references(() => accounts.id),
    keyPrefix: text('key_prefix'),
    method: text('method').notNull(),
    endpoint: text('endpoint').notNull(),
    status: integer('status').notNull(),
    errorCode: text('error_code'),
    durationMs: integer('duration_ms').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('sandbox_calls_account_id').on(t.accountId, t.id)],
);

/**
 * Fixed-window counters for rate limits and login lockouts, kept in the database (not process memory) so
 * several Onramp processes share them. `bucket` names the limit and its subject, e.g. `login:ip:<hash>`.
 */
export const rateLimits = sqliteTable(
  'rate_limits',
  {
    bucket: text('bucket').primaryKey(),
    count: integer('count').notNull(),
    resetAt: integer('reset_at').notNull(),
  },
  (t) => [index('rate_limits_reset').on(t.resetAt)],
);

/** A "Contact support" request from the portal. */
export const supportTickets = sqliteTable(
  'support_tickets',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    topic: text('topic').notNull(),
    path: text('path').notNull(),
    message: text('message').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('support_tickets_account').on(t.accountId)],
);

// ---- Import: resumable history imports ----

/**
 * Where an `onramp import` of one file got to. Keyed by a fingerprint of the file's content, so a re-run of the same
 * file resumes at `byte_offset` (just after the last committed row) instead of re-reading it. It is written right after
 * the events it covers are committed, so it is never ahead of the data; if it lags, uuid deduplication skips the re-read rows.
 */
export const importCheckpoints = sqliteTable('import_checkpoints', {
  fileHash: text('file_hash').primaryKey(),
  path: text('path').notNull(),
  format: text('format').notNull(),
  /** CSV header columns (JSON array), needed to parse rows when resuming mid-file. */
  columns: text('columns'),
  byteOffset: integer('byte_offset').notNull(),
  line: integer('line').notNull(),
  imported: integer('imported').notNull().default(0),
  duplicates: integer('duplicates').notNull().default(0),
  rejected: integer('rejected').notNull().default(0),
  completedAt: integer('completed_at'),
  updatedAt: integer('updated_at').notNull(),
});

// ---- Alerts: drop-off alert rules and their webhook deliveries ----

/**
 * An alert rule: a funnel, how often to check it, what triggers, and where to POST. `next_run_at` doubles as the
 * cross-instance lock: an instance fires a check only if its conditional UPDATE moved it (see api/alerts/scheduler.ts).
 * `active_conditions` (JSON array) holds the conditions already alerted, so they stay quiet until they clear.
 */
export const alertRules = sqliteTable(
  'alert_rules',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** JSON array of funnel step event names. */
    steps: text('steps').notNull(),
    window: text('window').notNull(),
    /** Report range each check looks at, ending at the check time: `7d`, `30d` or `90d`. */
    range: text('range').notNull(),
    interval: text('interval').notNull(),
    triggerKind: text('trigger_kind').notNull(),
    threshold: real('threshold'),
    /** Optional 0-based step the conversion trigger watches; null = any step. */
    triggerStep: integer('trigger_step'),
    /** Null: a log-only rule, whose log records what would have fired. */
    webhookUrl: text('webhook_url'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    activeConditions: text('active_conditions').notNull().default('[]'),
    nextRunAt: integer('next_run_at').notNull(),
    lastRunAt: integer('last_run_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('alert_rules_due').on(t.enabled, t.nextRunAt)],
);

/** One webhook delivery of a triggered alert: final status after retries, attempts made, the last HTTP status or error. */
export const alertDeliveries = sqliteTable(
  'alert_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ruleId: text('rule_id')
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    condition: text('condition').notNull(),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull(),
    responseStatus: integer('response_status'),
    error: text('error'),
    payload: text('payload').notNull(),
    createdAt: integer('created_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [index('alert_deliveries_rule').on(t.ruleId, t.createdAt)],
);

/**
 * Instance-wide settings the server generates once and every instance on the database must share, such as the
 * server token (api/server-token.ts). One row per key; the first instance to start writes it.
 */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * API traffic rollups (api/analytics/api-traffic/): every applied `api_call` adds to one row per bucket width
 * (minute, hour, day), keyed by what API health groups on. `calls` is exact; `sketch` is a DDSketch (1% relative
 * accuracy, varint bins: api/analytics/api-traffic/sketch.ts) of the calls' `duration_ms`. `flags`: bit 0 the call
 * failed (status >= 400 or an `error_code`), bit 1 it was refused (401 / 403) for a key the API could not verify.
 * `status` is -1 when the call had no numeric status; `code` is the failure code (`error_code`, else the status as
 * text), '' when it did not fail. The table is WITHOUT ROWID (a hand-written step of its migration: drizzle-kit
 * cannot express it), so a row is stored once, in its primary key, not in the table and again in the key's index;
 * a generated migration that rebuilds this table must keep that clause.
 */
export const apiCallRollups = sqliteTable(
  'api_call_rollups',
  {
    span: integer('span').notNull(),
    bucketStart: integer('bucket_start').notNull(),
    endpoint: text('endpoint').notNull(),
    method: text('method').notNull(),
    status: real('status').notNull(),
    code: text('code').notNull(),
    flags: integer('flags').notNull(),
    calls: integer('calls').notNull(),
    sketch: blob('sketch', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.span, t.bucketStart, t.endpoint, t.method, t.status, t.code, t.flags] })],
);

/**
 * The rollups of `api_call_rollups` summed per bucket over every endpoint, written beside them at apply time: the
 * totals a point of the series over every endpoint shows (api/analytics/api-traffic/bucket-totals.ts), so that series
 * reads one row per point, however many endpoints and statuses there are. `rated` leaves out calls refused for a key
 * the API could not verify, `errors` are rated calls with status >= 500 or 400–499 but 429, `server_errors` 500–599,
 * and `status_*` count the status classes. `sketch` holds one encoded sketch, or (rows backfilled by the migration
 * that created the table) several laid end to end, which reads add alike. WITHOUT ROWID as `api_call_rollups`.
 */
export const apiCallTotals = sqliteTable(
  'api_call_totals',
  {
    span: integer('span').notNull(),
    bucketStart: integer('bucket_start').notNull(),
    calls: integer('calls').notNull(),
    rated: integer('rated').notNull(),
    errors: integer('errors').notNull(),
    serverErrors: integer('server_errors').notNull(),
    status2xx: integer('status_2xx').notNull(),
    status3xx: integer('status_3xx').notNull(),
    status4xx: integer('status_4xx').notNull(),
    status429: integer('status_429').notNull(),
    status5xx: integer('status_5xx').notNull(),
    sketch: blob('sketch', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.span, t.bucketStart] })],
);

/**
 * Per-person call facts that outlive raw `api_call` rows: the first call, the first successful (2xx) call, and how
 * many failed calls before that success are listed in `first_call_failures` (at most 50, the earliest).
 */
export const personCallFacts = sqliteTable(
  'person_call_facts',
  {
    personId: integer('person_id').primaryKey(),
    firstCallAt: integer('first_call_at').notNull(),
    firstSuccessAt: integer('first_success_at'),
    failures: integer('failures').notNull(),
  },
  (t) => [index('person_call_facts_first_success').on(t.firstSuccessAt, t.personId)],
);

/** The earliest failed calls (at most 50) each person made before their first successful call: `firstCallErrors`. */
export const firstCallFailures = sqliteTable(
  'first_call_failures',
  {
    personId: integer('person_id').notNull(),
    timestamp: integer('timestamp').notNull(),
    code: text('code').notNull(),
  },
  (t) => [index('first_call_failures_person').on(t.personId, t.timestamp), index('first_call_failures_timestamp').on(t.timestamp, t.code)],
);

/**
 * Per-developer onboarding state (api/analytics/person-state/): every milestone event of each person (any event but
 * `api_call` and `$pageview`), as (person, time, event id, name), kept by the ingest store and recomputed from
 * `events` when an identity merge moves a person's events. Clustered by its primary key (WITHOUT ROWID, added to
 * the migration by hand: drizzle cannot declare it), so one person's milestones are one contiguous range.
 */
export const personMilestones = sqliteTable(
  'person_milestones',
  {
    personId: integer('person_id').notNull(),
    timestamp: integer('timestamp').notNull(),
    eventId: integer('event_id').notNull(),
    event: text('event').notNull(),
  },
  (t) => [primaryKey({ columns: [t.personId, t.timestamp, t.eventId] })],
);

/**
 * The docs side of the per-developer state (api/analytics/person-state/page-views.ts): every `$pageview` of each
 * person as (person, time, event id, page path, title), kept like `person_milestones` and clustered the same way
 * (WITHOUT ROWID, added to the migration by hand). `path` is the event's `pageview_path` (NULL for a view without
 * `$pathname`, which still counts in the docs report's audience); `title` its `title` property when that is a string.
 */
export const personPageViews = sqliteTable(
  'person_page_views',
  {
    personId: integer('person_id').notNull(),
    timestamp: integer('timestamp').notNull(),
    eventId: integer('event_id').notNull(),
    path: text('path'),
    title: text('title'),
  },
  (t) => [primaryKey({ columns: [t.personId, t.timestamp, t.eventId] })],
);

/**
 * Each person's last `$pageview` (the latest time; of views at one instant the latest stored) with its `$pathname`
 * (NULL when it has none): the evidence of a flagged funnel step reads the last page its stalled persons read
 * without scanning their page views. Kept by the ingest store like `person_milestones`, recomputed from `events`
 * when an identity merge moves a person's events (those persons are named in the change feed).
 */
export const personLastPages = sqliteTable(
  'person_last_pages',
  {
    personId: integer('person_id').primaryKey(),
    timestamp: integer('timestamp').notNull(),
    eventId: integer('event_id').notNull(),
    path: text('path'),
  },
  // In-memory copies read the rows changed since their last read by event id: every change stores a newer event's id.
  (t) => [index('person_last_pages_event_id').on(t.eventId)],
);

/**
 * The change feed of that state: one row per person whose milestones, page views, first successful call or failures kept before
 * it changed, or who merged, appended in the same transaction. An in-memory copy reads it from its last `seq` and
 * reloads only those persons.
 */
export const personStateChanges = sqliteTable('person_state_changes', {
  seq: integer('seq').primaryKey({ autoIncrement: true }),
  personId: integer('person_id').notNull(),
});
