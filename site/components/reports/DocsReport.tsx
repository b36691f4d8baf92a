/** Doc satisfaction page island: sortable, filterable pages table, worst first, with a detail panel per page. */
import { type RefObject, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DocPage, DocsReport as DocsResponse } from '../../../api/analytics/contract.ts';
import { RangeControl } from './Controls.tsx';
import type { CsvColumn } from './csv.ts';
import { DocsKpis, DocsMethod, PageTrend } from './DocsExtras.tsx';
import { commentsNewestFirst, type DocSortKey, filterPages, pageTitle, parseDocSort, type ReasonRow, reasonRows, sortPages, votes } from './docs-shape.ts';
import { formatCount, formatPercent, formatUtc } from './format.ts';
import { Gate } from './Gate.tsx';
import { useApi, useUrlQuery } from './hooks.ts';
import { AXIS_TICK, COLORS } from './palette.ts';
import { Card, ChartFigure, type Column, CsvButton, EmptyState, ErrorMessage, Loading } from './ui.tsx';

interface DocColumn extends CsvColumn<DocPage> {
  key: DocSortKey;
  numeric?: boolean;
  render: (p: DocPage) => string;
}

const COLUMNS: DocColumn[] = [
  { key: 'path', header: 'Page', value: (p) => p.path, render: (p) => pageTitle(p) },
  { key: 'views', header: 'Views', value: (p) => p.views, render: (p) => formatCount(p.views), numeric: true },
  { key: 'votes', header: 'Votes', value: (p) => votes(p), render: (p) => formatCount(votes(p)), numeric: true },
  { key: 'helpfulRate', header: 'Helpful', value: (p) => p.helpfulRate, render: (p) => formatPercent(p.helpfulRate, 0), numeric: true },
  {
    key: 'wilsonLower',
    header: 'Helpful, adjusted for few votes',
    value: (p) => p.wilsonLower,
    render: (p) => formatPercent(p.wilsonLower, 0),
    numeric: true,
  },
  {
    key: 'readerConversion',
    header: 'Readers to first successful call',
    value: (p) => p.readerConversion,
    render: (p) => formatPercent(p.readerConversion),
    numeric: true,
  },
  {
    key: 'nonReaderConversion',
    header: 'Non-readers to first successful call',
    value: (p) => p.nonReaderConversion,
    render: (p) => formatPercent(p.nonReaderConversion),
    numeric: true,
  },
  { key: 'flagged', header: 'Flag', value: (p) => (p.flagged ? 'flagged' : ''), render: (p) => (p.flagged ? 'Needs work' : '') },
];

const CSV_COLUMNS: CsvColumn<DocPage>[] = [
  COLUMNS[0]!,
  { header: 'Title', value: (p) => p.title },
  ...COLUMNS.filter((c) => c.key !== 'votes' && c.key !== 'path'),
  { header: 'Readers', value: (p) => p.readers },
  { header: 'Helpful votes', value: (p) => p.helpful },
  { header: 'Not helpful votes', value: (p) => p.notHelpful },
];

const reasonColumns: Column<ReasonRow>[] = [
  { header: 'Reason', value: (r) => r.reason },
  { header: 'Votes', value: (r) => r.count, numeric: true },
  { header: 'Share', value: (r) => r.share, render: (r) => formatPercent(r.share, 0), numeric: true },
];

const COMMENTS_PAGE = 10;

/** A comment's vote as the reader gave it. */
const voteText = (helpful: boolean | null) => (helpful === null ? '' : helpful ? 'Helpful' : 'Not helpful');

function PageDetail({ page, detailRef, range }: { page: DocPage; detailRef: RefObject<HTMLDivElement | null>; range: { from: string; to: string } }) {
  const reasons = reasonRows(page.reasons);
  const comments = commentsNewestFirst(page.comments);
  const [shown, setShown] = useState(COMMENTS_PAGE);
  // biome-ignore lint/correctness/useExhaustiveDependencies: another page starts with its first comments again.
  useEffect(() => setShown(COMMENTS_PAGE), [page.path]);
  return (
    <div className="detail" data-testid="doc-detail" ref={detailRef} tabIndex={-1}>
      <h3 className="subhead">
        {pageTitle(page)} <code className="page-path">{page.path}</code>
      </h3>
      <p className="muted small">
        {formatCount(page.views)} views · {formatCount(page.readers)} readers · helpful {formatPercent(page.helpfulRate, 0)} ({formatCount(page.helpful)} of{' '}
        {formatCount(votes(page))} votes) · {formatPercent(page.readerConversion)} of readers made a first successful call afterwards, against{' '}
        {formatPercent(page.nonReaderConversion)} of non-readers
      </p>
      <h4 className="subhead">Views and helpful rate over time</h4>
      <PageTrend path={page.path} range={range} />
      <div className="grid-2">
        <div>
          <h4 className="subhead">Reasons given</h4>
          {reasons.length === 0 ? (
            <EmptyState title="No reasons given for this page." />
          ) : (
            <ChartFigure
              title={`Reasons for ${page.path}`}
              summary="Votes per reason."
              height={Math.max(140, reasons.length * 40 + 40)}
              chart={
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={reasons} layout="vertical" margin={{ top: 4, right: 16, bottom: 4, left: 8 }} accessibilityLayer={false}>
                    <CartesianGrid horizontal={false} stroke={COLORS.grid} />
                    <XAxis type="number" tick={AXIS_TICK} allowDecimals={false} />
                    <YAxis type="category" dataKey="reason" width={150} tick={AXIS_TICK} />
                    <Tooltip />
                    <Bar dataKey="count" name="Votes" fill={COLORS.inProgress} isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              }
              table={{ columns: reasonColumns, rows: reasons, rowKey: (r) => r.reason, csvName: `reasons ${page.path}` }}
            />
          )}
        </div>
        <div>
          <h4 className="subhead">Comments, newest first</h4>
          {comments.length === 0 ? (
            <EmptyState title="No comments on this page." />
          ) : (
            <>
              <div className="table-tools">
                <CsvButton
                  name={`comments ${page.path}`}
                  columns={[
                    { header: 'time', value: (c: DocPage['comments'][number]) => c.timestamp },
                    { header: 'vote', value: (c: DocPage['comments'][number]) => voteText(c.helpful) },
                    { header: 'comment', value: (c: DocPage['comments'][number]) => c.text },
                  ]}
                  rows={comments}
                />
              </div>
              <ul className="comments" data-testid="doc-comments">
                {comments.slice(0, shown).map((c, i) => (
                  <li key={`${c.timestamp}-${i}`}>
                    {/* Reader-written text: rendered as a React text node, so markup in it stays inert text. */}
                    <p className="comment-text">{c.text}</p>
                    <span className="comment-meta">
                      {c.helpful === null ? null : <span className={`vote-badge ${c.helpful ? 'vote-yes' : 'vote-no'}`}>{voteText(c.helpful)}</span>}
                      {formatUtc(c.timestamp)}
                    </span>
                  </li>
                ))}
              </ul>
              {comments.length > shown ? (
                <p>
                  <button type="button" className="button button-small button-quiet" onClick={() => setShown(shown + 20)}>
                    Show older comments ({comments.length - shown} more)
                  </button>
                </p>
              ) : null}
            </>
          )}
        </div>
      </div>
    </div>
  );
}

function DocsBody() {
  const { query, range, extras, update, refresh } = useUrlQuery(['page', 'sort', 'dir', 'q', 'flagged', 'all']);
  const report = useApi<DocsResponse>('/api/v1/reports/docs', { from: range.from, to: range.to });
  const [text, setText] = useState(extras.q ?? '');
  const [minVotes, setMinVotes] = useState(0);
  const filterId = useId();
  const minId = useId();
  const selectedRow = useRef<HTMLTableRowElement | null>(null);
  const detail = useRef<HTMLDivElement | null>(null);
  const clicked = useRef(false);
  const scrolled = useRef(false);
  const sort = parseDocSort(extras.sort || null, extras.dir || null);
  const flaggedOnly = extras.flagged === '1';
  const allPages = extras.all === '1';
  const selected = extras.page ?? '';

  const rows = useMemo(() => {
    if (!report.data) return [];
    return sortPages(filterPages(report.data.pages, { text, flaggedOnly, minVotes, allPages }), sort.key, sort.direction);
  }, [report.data, text, flaggedOnly, minVotes, allPages, sort.key, sort.direction]);
  const selectedPage = report.data?.pages.find((p) => p.path === selected);

  // A link from a funnel flag lands here with ?page=: bring that row into view once. A click in the table
  // instead moves focus to the detail below it, so keyboard and screen reader users land on what opened.
  useEffect(() => {
    if (!selectedPage) return;
    if (clicked.current) {
      clicked.current = false;
      detail.current?.focus({ preventScroll: true });
      detail.current?.scrollIntoView({ block: 'start', behavior: 'smooth' });
    } else if (selectedRow.current && !scrolled.current) {
      scrolled.current = true;
      selectedRow.current.scrollIntoView({ block: 'center' });
    }
  }, [selectedPage]);

  const setSort = (key: DocSortKey) => {
    const direction =
      sort.key === key ? (sort.direction === 'asc' ? 'desc' : 'asc') : key === 'path' || key === 'wilsonLower' || key === 'helpfulRate' ? 'asc' : 'desc';
    update({}, { sort: key, dir: direction });
  };

  return (
    <>
      <div className="controls-panel">
        <RangeControl query={query} range={range} onChange={update} onRefresh={refresh} />
      </div>
      {report.status === 'loading' ? <Loading label="Loading doc satisfaction…" /> : null}
      {report.status === 'error' ? <ErrorMessage message={report.error} onRetry={report.reload} /> : null}
      {report.data && report.data.pages.length === 0 ? (
        <EmptyState title="No doc page views or votes in this range.">
          Pages appear once readers view them; votes come from the “Was this page helpful?” widget.
        </EmptyState>
      ) : null}
      {report.data && report.data.pages.length > 0 ? <DocsKpis data={report.data} /> : null}
      {report.data && report.data.pages.length > 0 ? (
        <Card
          title="Pages"
          description="Least helpful first, by the helpful rate adjusted for few votes, so a page with two votes does not look perfect. Pages without votes come last. Select a page for its trend, reasons and comments."
          actions={<CsvButton name="doc satisfaction" columns={CSV_COLUMNS} rows={rows} />}
        >
          <div className="filters">
            <label htmlFor={filterId}>
              <span className="control-label">Filter pages</span>
              <input id={filterId} type="search" value={text} placeholder="/docs/…" onChange={(e) => setText(e.target.value)} />
            </label>
            <label htmlFor={minId}>
              <span className="control-label">Minimum votes</span>
              <input
                id={minId}
                type="number"
                min={0}
                value={minVotes}
                onChange={(e) => setMinVotes(Math.max(0, Number(e.target.value) || 0))}
                style={{ width: 100 }}
              />
            </label>
            <label className="checkbox">
              <input type="checkbox" checked={flaggedOnly} onChange={(e) => update({}, { flagged: e.target.checked ? '1' : null })} />
              Flagged only
            </label>
            <label className="checkbox">
              <input type="checkbox" checked={allPages} onChange={(e) => update({}, { all: e.target.checked ? '1' : null })} data-testid="docs-all-pages" />
              All pages, not only docs and quickstarts
            </label>
            <span className="muted small" aria-live="polite">
              {rows.length} of {report.data.pages.length} pages
            </span>
          </div>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Doc pages">
            <table data-testid="docs-table" className="docs-table">
              <caption className="visually-hidden">Doc pages with satisfaction scores; column headers sort.</caption>
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <th
                      key={c.key}
                      scope="col"
                      className={c.numeric ? 'num' : undefined}
                      aria-sort={sort.key === c.key ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}
                    >
                      <button type="button" className="sort-button" onClick={() => setSort(c.key)}>
                        {c.header}
                        <span aria-hidden="true">{sort.key === c.key ? (sort.direction === 'asc' ? '▲' : '▼') : '↕'}</span>
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => {
                  const isSelected = p.path === selected;
                  return (
                    <tr
                      key={p.path}
                      ref={isSelected ? selectedRow : undefined}
                      className={[isSelected ? 'is-selected' : '', p.flagged ? 'is-flagged' : ''].join(' ').trim() || undefined}
                      data-path={p.path}
                    >
                      {COLUMNS.map((c) =>
                        c.key === 'path' ? (
                          <th key={c.key} scope="row" className="cell-wrap">
                            <button
                              type="button"
                              className="path-button"
                              aria-expanded={isSelected}
                              onClick={() => {
                                clicked.current = !isSelected;
                                update({}, { page: isSelected ? null : p.path });
                              }}
                            >
                              <span className="page-title">{pageTitle(p)}</span>
                              <span className="page-path">{p.path}</span>
                            </button>
                          </th>
                        ) : (
                          <td key={c.key} className={c.numeric ? 'num' : undefined}>
                            {c.key === 'flagged' && p.flagged ? <span className="badge badge-high">Needs work</span> : c.render(p)}
                          </td>
                        ),
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {rows.length === 0 ? <EmptyState title="No pages match these filters." /> : null}
          {selectedPage ? (
            <PageDetail page={selectedPage} detailRef={detail} range={range} />
          ) : selected ? (
            <p className="muted">No data for {selected} in this range.</p>
          ) : null}
        </Card>
      ) : null}
      {report.data ? <DocsMethod /> : null}
    </>
  );
}

/** The doc satisfaction page island. */
export default function DocsReport() {
  return (
    <Gate>
      <DocsBody />
    </Gate>
  );
}
