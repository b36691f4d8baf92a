import { ApiError } from '../errors.ts';
import { hasLink, partitionMask } from './apply-partitions.ts';
import { type CaptureRequestMeta, decodeCaptureBody } from './decode.ts';
import { type NormalizedEvent, validateCapture } from './validate.ts';

/** Events per ingest-log row: rows stay a few hundred KB even for 1000-event batches. */
export const EVENTS_PER_LOG_ROW = 500;

/** A capture request as read off the wire, kept beside its validated events so its body can be logged as is. */
export interface RawCapture {
  body: Uint8Array;
  meta: CaptureRequestMeta;
  querySentAt: string | undefined;
  /** The token the request was validated against (re-validation must not depend on a later configuration). */
  projectToken: string;
}

/** What validation read besides the body of one request logged as received. */
interface LoggedCapture {
  meta: CaptureRequestMeta;
  querySentAt?: string;
  receivedAt: number;
  projectToken: string;
  /** Uuids capture generated for events that came without one, by index, so the stored events keep them. */
  generatedUuids?: Array<[number, string]>;
}

/** One request of a packed row: its capture record and the length of its body within the row's `body`. */
interface PackedCapture extends LoggedCapture {
  bytes: number;
}

/**
 * One request's entry in the `capture` column of a row of requests logged as received. The column is a JSON array of
 * them, in request order, and their bodies lie end to end in `body`.
 */
function packedCapture(raw: RawCapture, events: ReadonlyArray<NormalizedEvent>): PackedCapture {
  const logged: PackedCapture = { meta: raw.meta, receivedAt: events[0]?.receivedAt ?? Date.now(), projectToken: raw.projectToken, bytes: raw.body.byteLength };
  if (raw.querySentAt !== undefined) logged.querySentAt = raw.querySentAt;
  let generated: Array<[number, string]> | undefined;
  for (let i = 0; i < events.length; i += 1) if (events[i]!.uuidGenerated) (generated ??= []).push([i, events[i]!.uuid]);
  if (generated) logged.generatedUuids = generated;
  return logged;
}

/**
 * The events of a request logged as received, decoded and validated exactly as capture did: same receive time, same
 * `sent_at`, same token and the uuids capture generated, so they equal the events capture acknowledged.
 */
function revalidate(body: Uint8Array, logged: LoggedCapture): NormalizedEvent[] {
  return validateCapture(decodeCaptureBody(body, logged.meta), {
    projectToken: logged.projectToken,
    querySentAt: logged.querySentAt,
    receivedAt: logged.receivedAt,
    generatedUuids: new Map(logged.generatedUuids ?? []),
    acknowledged: true,
  });
}

/** The events of a row of requests logged as received, request by request in order. */
function decodeReceivedRow(body: Uint8Array, capture: string): NormalizedEvent[] {
  const requests = JSON.parse(capture) as unknown;
  if (!Array.isArray(requests)) throw new Error('ingest log: the capture column is not a list of requests');
  const events: NormalizedEvent[] = [];
  let offset = 0;
  for (const request of requests as PackedCapture[]) {
    if (!Number.isSafeInteger(request.bytes) || request.bytes < 0 || offset + request.bytes > body.byteLength) {
      throw new Error(`ingest log: a packed request claims ${request.bytes} bytes at offset ${offset} of a ${body.byteLength}-byte body`);
    }
    for (const event of revalidate(body.subarray(offset, offset + request.bytes), request)) events.push(event);
    offset += request.bytes;
  }
  if (offset !== body.byteLength) throw new Error(`ingest log: packed requests cover ${offset} of ${body.byteLength} body bytes`);
  return events;
}

/** One request's share of a group commit: its events and the request they were validated from. */
export interface LogItem {
  events: ReadonlyArray<NormalizedEvent>;
  raw: RawCapture;
}

/** How an in-process request's body is decoded: plain JSON. */
const IN_PROCESS_META: CaptureRequestMeta = { contentType: 'application/json', contentEncoding: undefined, compression: undefined };

/**
 * One event as a capture request would carry it. With no `sent_at` and no `offset`, validation keeps a numeric
 * timestamp as it is, and `$set` / `$set_once` come back from the properties, where validation put them.
 */
function wireEvent(e: NormalizedEvent): string {
  return `{"uuid":${JSON.stringify(e.uuid)},"event":${JSON.stringify(e.event)},"distinct_id":${JSON.stringify(e.distinctId)},"timestamp":${e.timestamp},"properties":${e.propertiesJson}}`;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The first field in which a revalidated event differs from the one written, if any. */
function differingField(written: NormalizedEvent, logged: NormalizedEvent | undefined): string | undefined {
  if (!logged) return 'event';
  if (logged.uuid !== written.uuid) return 'uuid';
  if (logged.event !== written.event) return 'event';
  if (logged.distinctId !== written.distinctId) return 'distinct_id';
  if (logged.timestamp !== written.timestamp) return 'timestamp';
  if (logged.propertiesJson !== written.propertiesJson) return 'properties';
  if (!sameJson(logged.set, written.set)) return '$set';
  if (!sameJson(logged.setOnce, written.setOnce)) return '$set_once';
  return undefined;
}

/**
 * Events written in process (the backend's telemetry, the demo seed, tests and tools), as the capture requests the
 * log holds: a JSON `{ batch }` per run of events that share a receive time, of at most {@link EVENTS_PER_LOG_ROW}
 * events. So the log has one row format, and applying it revalidates every row alike. Each request is revalidated
 * here: an event that would not come back exactly as written (a uuid in capitals, a `token` property, a timestamp
 * validation would move) is refused with a 400 naming its field, before anything is acknowledged.
 */
export function inProcessRequests(events: ReadonlyArray<NormalizedEvent>): LogItem[] {
  // No token: the caller validated the events already, and revalidating an acknowledged request checks none.
  const projectToken = '';
  const items: LogItem[] = [];
  for (let start = 0; start < events.length; ) {
    const receivedAt = events[start]!.receivedAt;
    let end = start + 1;
    while (end < events.length && end - start < EVENTS_PER_LOG_ROW && events[end]!.receivedAt === receivedAt) end += 1;
    const slice = events.slice(start, end);
    const body = Buffer.from(`{"batch":[${slice.map(wireEvent).join(',')}]}`);
    const raw: RawCapture = { body, meta: IN_PROCESS_META, querySentAt: undefined, projectToken };
    const logged = revalidate(body, { meta: IN_PROCESS_META, receivedAt, projectToken });
    for (const [i, event] of slice.entries()) {
      const field = differingField(event, logged[i]);
      if (field) throw new ApiError(400, 'invalid_event', `batch[${start + i}].${field}: cannot be logged exactly as written`);
    }
    items.push({ events: slice, raw });
    start = end;
  }
  return items;
}

/** One ingest-log row: `[event_count, logged_at, body, capture]`. */
export type LogRecord = [number, number, Buffer, string];

/** One ingest-log row with what the partitioned apply needs: its partitions mask and whether it holds a link. */
export interface PackedRecord {
  record: LogRecord;
  partitions: number;
  links: boolean;
}

/**
 * The ingest-log rows of one group commit, shared by both dialects: every request logged as received, its body
 * unparsed plus what validating it read, packed end to end with its neighbours' into rows of about
 * {@link EVENTS_PER_LOG_ROW} events. Capture then never re-serializes an event (that, and the large JS string it
 * built, cost more than the commit). Rows keep request order: a merge in one request must apply after the events
 * before it. With more than one apply partition, a request holding an identity link gets a row of its own, so the
 * link holds back (api/ingest/apply-partitions.ts) only itself and not the requests packed beside it.
 */
export function packedRecords(items: ReadonlyArray<LogItem>, loggedAt: number, partitionCount: number): PackedRecord[] {
  const records: PackedRecord[] = [];
  let bodies: Uint8Array[] = [];
  let captures: PackedCapture[] = [];
  let packedEvents = 0;
  let packedBytes = 0;
  let partitions = 0;
  let links = false;
  const endPack = () => {
    if (bodies.length === 0) return;
    records.push({ record: [packedEvents, loggedAt, Buffer.concat(bodies, packedBytes), JSON.stringify(captures)], partitions, links });
    bodies = [];
    captures = [];
    packedEvents = 0;
    packedBytes = 0;
    partitions = 0;
    links = false;
  };
  for (const item of items) {
    const linked = hasLink(item.events);
    if (packedEvents > 0 && (packedEvents + item.events.length > EVENTS_PER_LOG_ROW || (partitionCount > 1 && (linked || links)))) endPack();
    bodies.push(item.raw.body);
    captures.push(packedCapture(item.raw, item.events));
    packedEvents += item.events.length;
    packedBytes += item.raw.body.byteLength;
    partitions |= partitionMask(item.events, partitionCount);
    links ||= linked;
  }
  endPack();
  return records;
}

/** The rows of one group commit, as {@link packedRecords} packs them for a single applier. */
export function logRecords(items: ReadonlyArray<LogItem>, loggedAt: number): LogRecord[] {
  return packedRecords(items, loggedAt, 1).map((packed) => packed.record);
}

/** One stored ingest-log row: requests logged as received. */
export interface StoredLogRow {
  body: Uint8Array;
  capture: string;
}

/** The events a stored ingest-log row holds, in order. */
export function eventsOfLogRow(row: StoredLogRow): NormalizedEvent[] {
  return decodeReceivedRow(row.body, row.capture);
}
