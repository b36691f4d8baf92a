import { uuidv7 } from 'uuidv7';
import { z } from 'zod';
import { ApiError, describeIssues } from '../errors.ts';
import { checkEventLimits } from './event-limits.ts';

/** Most events one request may carry, so one request cannot monopolise a commit. */
export const MAX_BATCH_EVENTS = 1000;
export const MAX_EVENT_NAME = 200;
export const MAX_DISTINCT_ID = 200;
/** Timestamps further ahead than this are clock bugs; PostHog replaces them with the receive time too. */
const MAX_FUTURE_MS = 23 * 60 * 60 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event as the store takes it: validated, identity fields pulled out, times in epoch ms. */
export interface NormalizedEvent {
  uuid: string;
  event: string;
  distinctId: string;
  timestamp: number;
  receivedAt: number;
  properties: Record<string, unknown>;
  /** Serialized `properties` (computed once, when first needed). */
  readonly propertiesJson: string;
  set: Record<string, unknown> | undefined;
  setOnce: Record<string, unknown> | undefined;
  /** Set when the request carried no uuid and validation generated one. */
  uuidGenerated?: true;
}

const objectOf = (what: string) => z.record(z.string(), z.unknown(), { error: `must be a JSON object (${what})` });

const timeValue = z.union([z.string().max(64), z.number()], { error: 'must be an ISO 8601 string or epoch milliseconds' });

/** The accepted shape of one raw event. Exported for the test that keeps `isRawEvent` in step with it. */
export const rawEventSchema = z.object(
  {
    event: z
      .string({ error: (i) => (i.input === undefined ? 'required' : 'must be a string') })
      .min(1, 'must not be empty')
      .max(MAX_EVENT_NAME, `must be at most ${MAX_EVENT_NAME} characters`),
    uuid: z.string().regex(UUID, 'must be a UUID').optional(),
    distinct_id: z.union([z.string(), z.number()], { error: 'must be a string or number' }).optional(),
    properties: objectOf('event properties').optional(),
    timestamp: timeValue.optional(),
    sent_at: timeValue.optional(),
    offset: z.number({ error: 'must be a number of milliseconds' }).optional(),
    $set: objectOf('person properties').optional(),
    $set_once: objectOf('person properties').optional(),
    api_key: z.string().optional(),
    token: z.string().optional(),
  },
  { error: 'must be a JSON object' },
);

type RawEvent = z.infer<typeof rawEventSchema>;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown) => v === undefined || typeof v === 'string';
const optionalTime = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 64);

/**
 * Accepts exactly what `rawEventSchema` accepts (a property test holds the two together), without zod's per-call
 * allocation: on the ingest hot path zod runs only for a bad event, to word its error. Unknown keys are ignored,
 * as zod strips them; the accepted object is used as is.
 */
export function isRawEvent(item: unknown): item is RawEvent {
  if (!isPlainObject(item)) return false;
  const { event, uuid, distinct_id, properties, offset, $set, $set_once } = item;
  return (
    typeof event === 'string' &&
    event.length >= 1 &&
    event.length <= MAX_EVENT_NAME &&
    (uuid === undefined || (typeof uuid === 'string' && UUID.test(uuid))) &&
    (distinct_id === undefined || typeof distinct_id === 'string' || (typeof distinct_id === 'number' && Number.isFinite(distinct_id))) &&
    (properties === undefined || isPlainObject(properties)) &&
    optionalTime(item.timestamp) &&
    optionalTime(item.sent_at) &&
    (offset === undefined || (typeof offset === 'number' && Number.isFinite(offset))) &&
    ($set === undefined || isPlainObject($set)) &&
    ($set_once === undefined || isPlainObject($set_once)) &&
    optionalString(item.api_key) &&
    optionalString(item.token)
  );
}

function parseTime(value: string | number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new ApiError(400, 'invalid_timestamp', `${field}: cannot parse ${JSON.stringify(value)} as a time`);
  return ms;
}

/** PostHog's skew correction: trust the client's clock only for the gap between the event and the send. */
function correctedTimestamp(raw: RawEvent, batchSentAt: number | undefined, receivedAt: number, field: string): number {
  const timestamp = parseTime(raw.timestamp, `${field}.timestamp`);
  const sentAt = parseTime(raw.sent_at, `${field}.sent_at`) ?? batchSentAt;
  let result: number;
  if (timestamp !== undefined && sentAt !== undefined) result = receivedAt + (timestamp - sentAt);
  else if (raw.offset !== undefined) result = receivedAt - raw.offset;
  else result = timestamp ?? receivedAt;
  return result > receivedAt + MAX_FUTURE_MS ? receivedAt : Math.round(result);
}

/**
 * A validated event. `propertiesJson` is serialized on first use: a request logged as received (api/ingest/raw-log.ts)
 * never needs it at capture time, and JSON.stringify is a large share of capture's CPU.
 */
class CapturedEvent implements NormalizedEvent {
  uuidGenerated?: true;
  private json: string | undefined;
  constructor(
    public uuid: string,
    public event: string,
    public distinctId: string,
    public timestamp: number,
    public receivedAt: number,
    public properties: Record<string, unknown>,
    public set: Record<string, unknown> | undefined,
    public setOnce: Record<string, unknown> | undefined,
    json?: string,
  ) {
    this.json = json;
  }
  get propertiesJson(): string {
    return (this.json ??= JSON.stringify(this.properties));
  }
}

/** Splits a decoded body into its events and envelope: a single event, `{ batch: [...] }`, or a bare array. */
function unwrap(payload: unknown): { items: unknown[]; envelope: Record<string, unknown>; prefix: (i: number) => string } {
  if (Array.isArray(payload)) return { items: payload, envelope: {}, prefix: (i) => `[${i}]` };
  if (payload === null || typeof payload !== 'object') {
    throw new ApiError(400, 'invalid_request', 'body: expected an event object, an array of events, or { batch: [...] }');
  }
  const envelope = payload as Record<string, unknown>;
  if ('batch' in envelope) {
    if (!Array.isArray(envelope.batch)) throw new ApiError(400, 'invalid_request', 'batch: must be an array of events');
    return { items: envelope.batch, envelope, prefix: (i) => `batch[${i}]` };
  }
  return { items: [payload], envelope: {}, prefix: () => 'event' };
}

function tokenOf(raw: RawEvent): string | undefined {
  const fromProps = raw.properties?.token;
  return raw.api_key ?? raw.token ?? (typeof fromProps === 'string' ? fromProps : undefined);
}

/**
 * Events only the backend sends (api/telemetry.ts, or a customer's posthog-node): they drive the funnel and API
 * health reports, so the public project token, which every browser can read, may not send them.
 */
export const SERVER_EVENTS: ReadonlySet<string> = new Set(['signed_up', 'api_key_created', 'api_key_revoked', 'api_call', 'support_ticket_created']);

/**
 * Checks the request's token (envelope `api_key`/`token`, else the first event's) and each event's own token
 * against the project and server tokens. Returns, per event, whether it came with the server token; undefined
 * when server events need no server token (none is configured, or public server events are accepted).
 */
function checkTokens(
  parsed: ReadonlyArray<RawEvent>,
  envelope: Record<string, unknown>,
  prefix: (i: number) => string,
  opts: { projectToken: string; serverToken?: string | undefined; acceptPublicServerEvents?: boolean | undefined },
): boolean[] | undefined {
  const envelopeToken = typeof envelope.api_key === 'string' ? envelope.api_key : typeof envelope.token === 'string' ? envelope.token : undefined;
  let token = envelopeToken;
  for (let i = 0; token === undefined && i < parsed.length; i += 1) token = tokenOf(parsed[i]!);
  if (!token) throw new ApiError(401, 'missing_token', 'api_key: missing project token (send api_key, token or properties.token)');
  const known = (t: string) => t === opts.projectToken || (opts.serverToken !== undefined && t === opts.serverToken);
  const needServerToken = opts.serverToken !== undefined && !opts.acceptPublicServerEvents;
  const serverSent = needServerToken ? new Array<boolean>(parsed.length) : undefined;
  for (let i = 0; i < parsed.length; i += 1) {
    const own = tokenOf(parsed[i]!);
    if (!known(token) || (own !== undefined && !known(own))) {
      throw new ApiError(401, 'invalid_token', `${envelopeToken ? 'api_key' : `${prefix(i)}.token`}: not this project's token`);
    }
    if (serverSent) serverSent[i] = (own ?? token) === opts.serverToken;
  }
  return serverSent;
}

/**
 * Validates a decoded capture payload against the project token and returns events ready to store.
 * Any bad event rejects the whole request, naming its index, so nothing is half-stored.
 */
export function validateCapture(
  payload: unknown,
  opts: {
    projectToken: string;
    querySentAt?: string | undefined;
    receivedAt?: number;
    /** Uuids to give events without one, by index, instead of new ones (re-validating a logged request). */
    generatedUuids?: ReadonlyMap<number, string>;
    /**
     * The server token (ONRAMP_SERVER_TOKEN): accepted like the project token, and the only token that may send
     * {@link SERVER_EVENTS}. Absent: no server token exists (imports), and any event goes with the project token.
     */
    serverToken?: string | undefined;
    /** ONRAMP_ACCEPT_PUBLIC_SERVER_EVENTS: server events are accepted with the project token too. */
    acceptPublicServerEvents?: boolean | undefined;
    /**
     * Re-validating a request capture already acknowledged (api/ingest/raw-log.ts): its tokens were checked then, and
     * it must never be lost to a token changed or a limit tightened since, so tokens and per-event bounds are skipped.
     */
    acknowledged?: boolean;
  },
): NormalizedEvent[] {
  const receivedAt = opts.receivedAt ?? Date.now();
  const { items, envelope, prefix } = unwrap(payload);
  if (items.length === 0) throw new ApiError(400, 'invalid_request', 'batch: must contain at least one event');
  if (items.length > MAX_BATCH_EVENTS) {
    throw new ApiError(400, 'batch_too_large', `batch: ${items.length} events exceed the limit of ${MAX_BATCH_EVENTS}`);
  }

  const parsed = items.map((item, i) => {
    if (isRawEvent(item)) return item;
    const result = rawEventSchema.safeParse(item);
    if (!result.success) throw new ApiError(400, 'invalid_event', describeIssues(result.error.issues, prefix(i)));
    return result.data;
  });

  const serverSent = opts.acknowledged ? undefined : checkTokens(parsed, envelope, prefix, opts);

  const envelopeSentAt = typeof envelope.sent_at === 'string' || typeof envelope.sent_at === 'number' ? envelope.sent_at : opts.querySentAt;
  const batchSentAt = parseTime(envelopeSentAt, 'sent_at');

  return parsed.map((raw, i) => {
    const field = prefix(i);
    if (serverSent && !serverSent[i] && SERVER_EVENTS.has(raw.event)) {
      throw new ApiError(
        403,
        'server_token_required',
        `${field}.event: ${raw.event} is a server event; send it with the server token (ONRAMP_SERVER_TOKEN), not the public project token`,
      );
    }
    const { token: _token, distinct_id: propDistinctId, ...properties } = raw.properties ?? {};
    const distinct = raw.distinct_id ?? (propDistinctId as unknown);
    if (typeof distinct !== 'string' && typeof distinct !== 'number') {
      throw new ApiError(400, 'invalid_event', `${field}.distinct_id: required (top level or in properties)`);
    }
    const distinctId = String(distinct).trim();
    if (distinctId.length === 0 || distinctId.length > MAX_DISTINCT_ID) {
      throw new ApiError(400, 'invalid_event', `${field}.distinct_id: must be 1 to ${MAX_DISTINCT_ID} characters`);
    }
    const set = raw.$set ?? (isObject(properties.$set) ? properties.$set : undefined);
    const setOnce = raw.$set_once ?? (isObject(properties.$set_once) ? properties.$set_once : undefined);
    if (raw.$set) properties.$set = raw.$set;
    if (raw.$set_once) properties.$set_once = raw.$set_once;
    // Re-validating a logged request must accept what capture acknowledged, even if the limits have changed since.
    const json = opts.acknowledged ? undefined : checkEventLimits(raw.event, properties, `${field}.properties`);
    const uuid = raw.uuid?.toLowerCase() ?? opts.generatedUuids?.get(i) ?? uuidv7();
    const timestamp = correctedTimestamp(raw, batchSentAt, receivedAt, field);
    const normalized = new CapturedEvent(uuid, raw.event, distinctId, timestamp, receivedAt, properties, set, setOnce, json);
    if (raw.uuid === undefined) normalized.uuidGenerated = true;
    return normalized;
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
