import { decodeCaptureBody, isGzip, type CaptureRequestMeta } from './decode.ts';
import { decodeLogEntry, encodeLogEntry, logRows } from './log.ts';
import { validateCapture, type NormalizedEvent } from './validate.ts';

/** A capture request as read off the wire, kept beside its validated events so a compressed body can be logged as is. */
export interface RawCapture {
  body: Uint8Array;
  meta: CaptureRequestMeta;
  querySentAt: string | undefined;
  /** The token the request was validated against (re-validation must not depend on a later configuration). */
  projectToken: string;
}

/** The `capture` column of a raw ingest-log row: everything besides the body that validation read. */
interface LoggedCapture {
  meta: CaptureRequestMeta;
  querySentAt?: string;
  receivedAt: number;
  projectToken: string;
  /** Uuids capture generated for events that came without one, by index, so the stored events keep them. */
  generatedUuids?: Array<[number, string]>;
}

/**
 * Whether a request is logged as received instead of as events: only a gzip body (as posthog-node and posthog-js
 * send batches), which is a few percent of the events' JSON. Anything else is about as large as the events it holds.
 */
function logsAsReceived(raw: RawCapture | undefined): raw is RawCapture {
  return raw !== undefined && isGzip(raw.body) && !(raw.meta.contentType ?? '').toLowerCase().includes('form-urlencoded');
}

/** The `capture` column for a request logged as received. */
function encodeRawCapture(raw: RawCapture, events: ReadonlyArray<NormalizedEvent>): string {
  const logged: LoggedCapture = { meta: raw.meta, receivedAt: events[0]?.receivedAt ?? Date.now(), projectToken: raw.projectToken };
  if (raw.querySentAt !== undefined) logged.querySentAt = raw.querySentAt;
  const generated = events.flatMap((e, i): Array<[number, string]> => (e.uuidGenerated ? [[i, e.uuid]] : []));
  if (generated.length > 0) logged.generatedUuids = generated;
  return JSON.stringify(logged);
}

/**
 * The events of a request logged as received, decoded and validated exactly as capture did: same receive time, same
 * `sent_at`, same token and the uuids capture generated, so they equal the events capture acknowledged.
 */
function decodeRawCapture(body: Uint8Array, capture: string): NormalizedEvent[] {
  const logged = JSON.parse(capture) as LoggedCapture;
  return validateCapture(decodeCaptureBody(body, logged.meta), {
    projectToken: logged.projectToken,
    querySentAt: logged.querySentAt,
    receivedAt: logged.receivedAt,
    generatedUuids: new Map(logged.generatedUuids ?? []),
  });
}

/** One request's share of a group commit: its events, and the request itself when it may be logged as received. */
export interface LogItem {
  events: ReadonlyArray<NormalizedEvent>;
  raw?: RawCapture | undefined;
}

/** One ingest-log row: `[event_count, events, logged_at, body, capture]` (body and capture null for a row of events). */
export type LogRecord = [number, string, number, Buffer | null, string | null];

/**
 * The ingest-log rows of one group commit, shared by both dialects. Rows keep request order (a merge in one request
 * must apply after the events before it): runs of plain requests share rows of events, and each gzip request is a row
 * of its own holding its body as received.
 */
export function logRecords(items: ReadonlyArray<LogItem>, loggedAt: number): LogRecord[] {
  const records: LogRecord[] = [];
  let plain: Array<ReadonlyArray<NormalizedEvent>> = [];
  const endPlainRun = () => {
    for (const row of logRows(plain)) records.push([row.length, encodeLogEntry(row), loggedAt, null, null]);
    plain = [];
  };
  for (const item of items) {
    if (!logsAsReceived(item.raw)) {
      plain.push(item.events);
      continue;
    }
    endPlainRun();
    const body = item.raw.body;
    records.push([item.events.length, '', loggedAt, Buffer.from(body.buffer, body.byteOffset, body.byteLength), encodeRawCapture(item.raw, item.events)]);
  }
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
  return row.body === null ? decodeLogEntry(row.events) : decodeRawCapture(row.body, row.capture ?? '{}');
}
