/** Small shared building blocks of the report pages: states, cards, tables with CSV export, chart frames. */
import { type ReactNode, useId, useState } from 'react';
import { type CsvColumn, csvFileName, toCsv } from './csv.ts';
import type { KpiChange } from './kpi.ts';

/** Loading placeholder; `aria-busy` tells assistive tech the region is being filled. */
export function Loading({ label = 'Loading report…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite" aria-busy="true">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** An API error with the server's own message, and a retry. */
export function ErrorMessage({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <strong>Couldn’t load this report.</strong> <span>{message}</span>
      {onRetry ? (
        <button type="button" className="button button-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** What to do when a range holds no data, instead of a blank chart. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

/** A titled section card. */
export function Card({
  title,
  description,
  actions,
  children,
  id,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  id?: string;
}) {
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId} id={id}>
      <div className="card-head">
        <div>
          <h2 id={headingId}>{title}</h2>
          {description ? <p className="card-description">{description}</p> : null}
        </div>
        {actions ? <div className="card-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

/** A headline number. */
export function Stat({ label, value, hint, testId }: { label: string; value: string; hint?: string; testId?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
      {hint ? <div className="stat-hint">{hint}</div> : null}
    </div>
  );
}

const ARROWS = { up: '▲', down: '▼', flat: '■' } as const;

/** The change line of a KPI card: arrow, change and colour, the previous value, and "not significant" when tested so. */
export function Delta({ change, testId }: { change: KpiChange; testId?: string }) {
  const words = { up: 'up', down: 'down', flat: '' }[change.direction];
  return (
    <div className={`delta delta-${change.tone}`} data-testid={testId} data-direction={change.direction} data-tone={change.tone}>
      <span className="delta-change">
        <span aria-hidden="true">{ARROWS[change.direction]} </span>
        {words ? <span className="visually-hidden">{words} </span> : null}
        {change.delta}
      </span>{' '}
      <span className="delta-previous">vs. {change.previous} the period before</span>
      {change.notSignificant ? <span className="delta-ns"> · not significant</span> : null}
    </div>
  );
}

/** A headline number with its change against the previous period of the same length. */
export function KpiCard({ label, value, hint, testId, change }: { label: string; value: string; hint?: string; testId?: string; change: KpiChange }) {
  return (
    <div className="stat kpi">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
      <Delta change={change} testId={testId ? `${testId}-delta` : undefined} />
      {hint ? <div className="stat-hint">{hint}</div> : null}
    </div>
  );
}

/** "How is this computed?": the exact statistics behind a page's plain-language figures, closed by default. */
export function HowComputed({ children }: { children: ReactNode }) {
  return (
    <details className="how-computed" data-testid="how-computed">
      <summary>How is this computed?</summary>
      <div className="how-computed-body">{children}</div>
    </details>
  );
}

/** Downloads rows as CSV through a Blob URL (no server round trip, works offline). */
export function CsvButton<Row>({ name, columns, rows }: { name: string; columns: ReadonlyArray<CsvColumn<Row>>; rows: ReadonlyArray<Row> }) {
  const download = () => {
    const blob = new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = csvFileName(name);
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <button type="button" className="button button-small button-quiet" onClick={download} disabled={rows.length === 0}>
      Export CSV<span className="visually-hidden"> of {name}</span>
    </button>
  );
}

export interface Column<Row> extends CsvColumn<Row> {
  /** Cell content; defaults to the CSV value as text. */
  render?: (row: Row) => ReactNode;
  numeric?: boolean;
  testId?: (row: Row, index: number) => string;
}

/**
 * A scrollable, captioned table. The scroll container is focusable and labelled so keyboard users can scroll
 * it at 390 px (axe: scrollable-region-focusable). All cells render as React text, never as HTML.
 */
export function DataTable<Row>({
  caption,
  columns,
  rows,
  rowKey,
  csvName,
  showCaption = false,
  rowProps,
  tableClassName,
  stackOnPhones = false,
}: {
  caption: string;
  columns: ReadonlyArray<Column<Row>>;
  rows: ReadonlyArray<Row>;
  rowKey: (row: Row, index: number) => string;
  csvName?: string;
  showCaption?: boolean;
  rowProps?: (row: Row, index: number) => Record<string, unknown>;
  tableClassName?: string;
  /** Labels every cell with its column (`data-label`), so the page's CSS can stack each row into a block on a phone. */
  stackOnPhones?: boolean;
}) {
  return (
    <div className="table-block">
      {csvName ? (
        <div className="table-tools">
          <CsvButton name={csvName} columns={columns} rows={rows} />
        </div>
      ) : null}
      <div className="table-scroll" tabIndex={0} role="region" aria-label={caption}>
        <table className={tableClassName}>
          <caption className={showCaption ? undefined : 'visually-hidden'}>{caption}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.header} scope="col" className={c.numeric ? 'num' : undefined}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={rowKey(row, i)} {...(rowProps?.(row, i) ?? {})}>
                {columns.map((c) => (
                  <td
                    key={c.header}
                    className={c.numeric ? 'num' : undefined}
                    data-testid={c.testId?.(row, i)}
                    data-label={stackOnPhones ? c.header : undefined}
                  >
                    {c.render ? c.render(row) : String(c.value(row) ?? '—')}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/**
 * A chart with its data as an accessible table. The SVG is hidden from screen readers (its numbers are in the
 * table); sighted users can open the table, and it can be exported.
 */
export function ChartFigure<Row>({
  title,
  summary,
  chart,
  height = 300,
  table,
}: {
  title: string;
  summary: string;
  chart: ReactNode;
  height?: number;
  table: { columns: ReadonlyArray<Column<Row>>; rows: ReadonlyArray<Row>; rowKey: (row: Row, index: number) => string; csvName: string };
}) {
  const [open, setOpen] = useState(false);
  return (
    <figure className="chart">
      <div className="chart-canvas" style={{ height }} aria-hidden="true">
        {chart}
      </div>
      <figcaption className="visually-hidden">
        {title}. {summary}
      </figcaption>
      <details className="chart-data" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
        <summary>Data table: {title}</summary>
        <DataTable caption={title} columns={table.columns} rows={table.rows} rowKey={table.rowKey} csvName={table.csvName} />
      </details>
    </figure>
  );
}

/** Segmented control built from radio buttons (keyboard and screen reader friendly). */
export function Segmented<V extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: V;
  options: ReadonlyArray<{ value: V; label: string }>;
  onChange: (v: V) => void;
}) {
  const name = useId();
  return (
    <fieldset className="segmented">
      <legend className="control-label">{label}</legend>
      <div className="segmented-options">
        {options.map((o) => (
          <label key={o.value} className={o.value === value ? 'is-active' : undefined}>
            <input type="radio" name={name} value={o.value} checked={o.value === value} onChange={() => onChange(o.value)} />
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** Legend labels in body text colour: recharts colours them like their series, which can fail text contrast. */
export function legendFormatter(value: string) {
  return <span className="legend-text">{value}</span>;
}
