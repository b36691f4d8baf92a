/** CSV export for every report table (RFC 4180 quoting). */

export interface CsvColumn<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | null | undefined;
}

/**
 * Spreadsheet apps run cells that start with these as formulas, also after leading whitespace or line breaks, and
 * some read the full-width forms (＝ ＋ － ＠) as the ASCII ones; user-written comments and event names reach the
 * export, so such cells get a leading apostrophe (OWASP "CSV injection"). A leading tab or carriage return is
 * prefixed too.
 */
const FORMULA_START = /^(?:[\t\r]|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;

function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows → CSV text with a header line and CRLF line ends. */
export function toCsv<Row>(columns: ReadonlyArray<CsvColumn<Row>>, rows: ReadonlyArray<Row>): string {
  const lines = [columns.map((c) => cell(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A file name like `onramp-funnel-2026-11-23.csv` from a report name (anything odd becomes `-`). */
export function csvFileName(name: string, now = new Date()): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'report';
  return `onramp-${slug}-${now.toISOString().slice(0, 10)}.csv`;
}
