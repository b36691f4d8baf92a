import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { fromCsvRow, fromJsonRow, type RawImportEvent, RowError } from './rows.ts';

/** One row read from a file: where it ends (for the checkpoint), its 1-based line, and the event or why not. */
export interface SourceRow {
  line: number;
  /** Byte offset just after this row, where a resumed import starts reading. */
  end: number;
  raw?: RawImportEvent;
  error?: string;
  /** A blank line: nothing to import, but the checkpoint may move past it. */
  blank?: boolean;
}

/** Longest accepted line; a longer one is rejected and skipped so one broken row cannot exhaust memory. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
const CHUNK_BYTES = 4 << 20;

function jsonRow(text: string, line: number, end: number): SourceRow {
  if (text.trim() === '') return { line, end, blank: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { line, end, error: `line: not valid JSON (${(err as Error).message})` };
  }
  try {
    return { line, end, raw: fromJsonRow(parsed) };
  } catch (err) {
    if (err instanceof RowError) return { line, end, error: err.message };
    throw err;
  }
}

/**
 * Appends the rows of the complete lines in `buf` from `pos` on (`buf` starts at byte `bufStart` of the file, line
 * `line` ended before `pos`); returns where the unfinished rest begins and the last line number used.
 */
export function completeLines(rows: SourceRow[], buf: Buffer, pos: number, bufStart: number, line: number): { pos: number; line: number } {
  for (let nl = buf.indexOf(10, pos); nl !== -1; nl = buf.indexOf(10, pos)) {
    line += 1;
    rows.push(jsonRow(buf.toString('utf8', pos, nl), line, bufStart + nl + 1));
    pos = nl + 1;
  }
  return { pos, line };
}

/**
 * Reads JSON lines from `start`, yielding the rows of each ~1 MiB chunk together (one await per chunk, not per row).
 * Splits on raw bytes so every row's end offset is exact, whatever its UTF-8 content.
 */
export async function* jsonLines(path: string, start: number, lineBefore: number): AsyncGenerator<SourceRow[]> {
  const stream = createReadStream(path, { start, highWaterMark: CHUNK_BYTES });
  let carry: Buffer | undefined;
  let carryStart = start;
  let line = lineBefore;
  let oversized = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    const bufStart = carryStart;
    const rows: SourceRow[] = [];
    let pos = 0;
    if (oversized) {
      const nl = buf.indexOf(10);
      if (nl !== -1) {
        line += 1;
        rows.push({ line, end: bufStart + nl + 1, error: `line: longer than ${MAX_LINE_BYTES} bytes` });
        oversized = false;
        pos = nl + 1;
      }
    }
    if (!oversized) ({ pos, line } = completeLines(rows, buf, pos, bufStart, line));
    carry = pos < buf.length ? buf.subarray(pos) : undefined;
    carryStart = bufStart + pos;
    if (carry && carry.length > MAX_LINE_BYTES) {
      // Drop the bytes of the runaway line but remember to report it once its end is found.
      oversized = true;
      carryStart += carry.length;
      carry = undefined;
    }
    if (rows.length > 0) yield rows;
  }
  if (oversized) yield [{ line: line + 1, end: carryStart, error: `line: longer than ${MAX_LINE_BYTES} bytes` }];
  else if (carry && carry.length > 0) yield [jsonRow(carry.toString('utf8'), line + 1, carryStart + carry.length)];
}

/** Reads the header of a CSV file (its first record). */
export async function csvHeader(path: string): Promise<string[]> {
  const parser = createReadStream(path, { end: MAX_LINE_BYTES }).pipe(parse({ bom: true, to_line: 1, relax_column_count: true }));
  for await (const record of parser as AsyncIterable<string[]>) return record.map((c) => c.trim());
  return [];
}

/**
 * Reads CSV records from `start` (the header is already known), yielding rows in groups. csv-parse reports the
 * bytes consumed after each record, which gives the resume offset; malformed records are skipped and reported.
 */
export async function* csvRows(path: string, start: number, columns: readonly string[], skipHeader: boolean): AsyncGenerator<SourceRow[]> {
  const parser = createReadStream(path, { start, highWaterMark: CHUNK_BYTES }).pipe(
    parse({ bom: start === 0, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true, max_record_size: MAX_LINE_BYTES }),
  );
  const skipped: SourceRow[] = [];
  parser.on('skip', (err: Error & { lines?: number }) => {
    skipped.push({ line: err.lines ?? 0, end: -1, error: `row: malformed CSV (${err.message})` });
  });
  let rows: SourceRow[] = [];
  let headerPending = skipHeader;
  // A skipped record's own end is unknown; resuming from the previous record's end re-reads (and re-reports) it.
  let lastEnd = start;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number; lines: number } }>) {
    const end = start + info.bytes;
    if (skipped.length > 0) rows.push(...skipped.splice(0).map((r) => ({ ...r, end: lastEnd })));
    lastEnd = end;
    if (headerPending) {
      headerPending = false;
      rows.push({ line: info.lines, end, blank: true });
      continue;
    }
    try {
      rows.push({ line: info.lines, end, raw: fromCsvRow(columns, record) });
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      rows.push({ line: info.lines, end, error: err.message });
    }
    if (rows.length >= 1000) {
      yield rows;
      rows = [];
    }
  }
  if (skipped.length > 0) rows.push(...skipped.splice(0).map((r) => ({ ...r, end: lastEnd })));
  if (rows.length > 0) yield rows;
}
