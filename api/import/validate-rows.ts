import { createHash } from 'node:crypto';
import { ApiError } from '../errors.ts';
import { MAX_BATCH_EVENTS, type NormalizedEvent, validateCapture } from '../ingest/validate.ts';
import type { SourceRow } from './sources.ts';

/** One row's fate, in file order: an event to store, a rejection reason, or neither (a blank line or the CSV header). */
export interface RowResult {
  line: number;
  end: number;
  event?: NormalizedEvent;
  error?: string;
}

const UUID_NAMESPACE = 'onramp-import-v1';

/**
 * A uuid for an event that has none, derived from its content (UUIDv5-style layout), so importing the same row
 * again finds it already stored. Identical rows (same event, person id, millisecond and properties) are one event.
 */
export function contentUuid(event: NormalizedEvent): string {
  const hex = createHash('sha1').update(`${UUID_NAMESPACE}\0${event.event}\0${event.distinctId}\0${event.timestamp}\0${event.propertiesJson}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `batch[12].timestamp: …` → `timestamp: …`: the row is already named by its line number. */
function rowReason(err: unknown): string {
  if (err instanceof ApiError) return err.message.replace(/^batch\[\d+\]\.?/, '') || err.message;
  throw err;
}

function finish(row: SourceRow, event: NormalizedEvent): RowResult {
  if (row.raw!.uuid === undefined) event.uuid = contentUuid(event);
  if (row.raw!.receivedAt !== undefined) event.receivedAt = row.raw!.receivedAt;
  return { line: row.line, end: row.end, event };
}

/**
 * Runs rows through the capture validator (validateCapture, the same code live capture uses) and returns one result
 * per row, in order. Rows go through in batches of up to 1,000; only a batch holding a bad row is re-run row by row,
 * to find which row it was.
 */
export function validateRows(rows: readonly SourceRow[], projectToken: string, receivedAt = Date.now()): RowResult[] {
  const out: RowResult[] = [];
  const validate = (raws: readonly SourceRow[]) => validateCapture({ api_key: projectToken, batch: raws.map((r) => r.raw) }, { projectToken, receivedAt });
  let run: SourceRow[] = [];
  const flush = () => {
    for (let i = 0; i < run.length; i += MAX_BATCH_EVENTS) {
      const chunk = run.slice(i, i + MAX_BATCH_EVENTS);
      try {
        const events = validate(chunk);
        for (let k = 0; k < chunk.length; k++) out.push(finish(chunk[k]!, events[k]!));
        continue;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
      for (const row of chunk) {
        try {
          out.push(finish(row, validate([row])[0]!));
        } catch (err) {
          out.push({ line: row.line, end: row.end, error: rowReason(err) });
        }
      }
    }
    run = [];
  };
  for (const row of rows) {
    if (row.raw) {
      run.push(row);
      continue;
    }
    flush();
    out.push(row.error !== undefined ? { line: row.line, end: row.end, error: row.error } : { line: row.line, end: row.end });
  }
  flush();
  return out;
}
