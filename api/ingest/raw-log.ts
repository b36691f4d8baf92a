import { type CaptureRequestMeta, decodeCaptureBody } from './decode.ts';
import { decodeLogEntry, EVENTS_PER_LOG_ROW, encodeLogEntry, logRows } from './log.ts';
import { type NormalizedEvent, validateCapture } from './validate.ts';

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

/** One request's share of a group commit: its events, and the request itself when it may be logged as received. */
export interface LogItem {
  events: ReadonlyArray<NormalizedEvent>;
  raw?: RawCapture | undefined;
}

/** One ingest-log row: `[event_count, events, logged_at, body, capture]` (body and capture null for a row of events). */
export type LogRecord = [number, string, number, Buffer | null, string | null];

/**
 * The ingest-log rows of one group commit, shared by both dialects. Every request that came over HTTP is logged as
 * received: its body, unparsed, plus what validating it read, packed end to end with its neighbours' into rows of
 * about {@link EVENTS_PER_LOG_ROW} events. Capture then never re-serializes an event (that, and the large JS string
 * it built, cost more than the commit). Events written without a request (in-process callers) go in rows of events.
 * Rows keep request order: a merge in one request must apply after the events before it.
 */
export function logRecords(items: ReadonlyArray<LogItem>, loggedAt: number): LogRecord[] {
  const records: LogRecord[] = [];
  let plain: Array<ReadonlyArray<NormalizedEvent>> = [];
  let bodies: Uint8Array[] = [];
  let captures: PackedCapture[] = [];
  let packedEvents = 0;
  let packedBytes = 0;
  const endPlainRun = () => {
    for (const row of logRows(plain)) records.push([row.length, encodeLogEntry(row), loggedAt, null, null]);
    plain = [];
  };
  const endPack = () => {
    if (bodies.length === 0) return;
    records.push([packedEvents, '', loggedAt, Buffer.concat(bodies, packedBytes), JSON.stringify(captures)]);
    bodies = [];
    captures = [];
    packedEvents = 0;
    packedBytes = 0;
  };
  for (const item of items) {
    if (item.raw === undefined) {
      endPack();
      plain.push(item.events);
      continue;
    }
    endPlainRun();
    if (packedEvents > 0 && packedEvents + item.events.length > EVENTS_PER_LOG_ROW) endPack();
    bodies.push(item.raw.body);
    captures.push(packedCapture(item.raw, item.events));
    packedEvents += item.events.length;
    packedBytes += item.raw.body.byteLength;
  }
  endPack();
  endPlainRun();
  return records;
}

/** One stored ingest-log row, as both dialects' processors read it: a row of events, or a request logged as received. */
export interface StoredLogRow {
  events: string;
  body: Uint8Array | null;
  capture: string | null;
}

/** The events a stored ingest-log row holds, in order. */
export function eventsOfLogRow(row: StoredLogRow): NormalizedEvent[] {
  return row.body === null ? decodeLogEntry(row.events) : decodeReceivedRow(row.body, row.capture ?? '{}');
}
