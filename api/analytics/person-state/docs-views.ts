/**
 * The docs report's page-view figures from each person's page views in memory (page-view-snapshot.ts), the same
 * numbers the raw-event queries of docs-query.ts give: per page its views, readers, readers converted (first
 * successful call in [their first view of the page in range, to]) and readers converted by the audience rule (first
 * view of any page), the page's latest title in range, and the audience (every person with a `$pageview` in range,
 * with or without a path). One pass over the persons per range.
 */
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { isDocPath } from '../contract.ts';
import { type DocsPageViewSource, latestTitles, type PageViewsRow, type PageViewTotals } from '../docs-query.ts';
import { previousPeriod } from '../funnel-report.ts';
import type { Range } from '../params.ts';
import { compareBytewise } from '../text-order.ts';
import type { PageViewView } from './page-view-snapshot.ts';

/** One pass's figures for a range; per-page arrays are indexed by path code. */
interface RangeFigures {
  views: Float64Array;
  readers: Float64Array;
  converted: Float64Array;
  convertedAny: Float64Array;
  /** Latest titled view per page: its time, its title code, and whether another title shares that time. */
  titleAt: Float64Array;
  title: Uint32Array;
  titleTied: Uint8Array;
  audience: { persons: number; converted: number };
  totals: PageViewTotals;
}

/**
 * What was summed over one view, by range: the report asks for the current range twice (pages, totals) and for the
 * previous period's totals, which the same pass sums.
 */
const summed = new WeakMap<PageViewView, { figures: Map<string, RangeFigures>; totals: Map<string, PageViewTotals> }>();
const keyOf = (range: Range) => `${range.from}:${range.to}`;

/** The figures of `range`, summed once per view (with the totals of the period before it, for the next ask). */
function figuresOf(view: PageViewView, range: Range): RangeFigures {
  let memo = summed.get(view);
  if (!memo) summed.set(view, (memo = { figures: new Map(), totals: new Map() }));
  let figures = memo.figures.get(keyOf(range));
  if (!figures) {
    const before = previousPeriod(range.from, range.to);
    const both = sum(view, range, before);
    figures = both.figures;
    memo.figures.set(keyOf(range), figures);
    memo.totals.set(keyOf(range), figures.totals);
    if (!memo.totals.has(keyOf(before))) memo.totals.set(keyOf(before), both.previous);
  }
  return figures;
}

/** The docs and quickstart totals of `range`: from a pass already made, else one pass. */
function totalsOf(view: PageViewView, range: Range): PageViewTotals {
  return summed.get(view)?.totals.get(keyOf(range)) ?? figuresOf(view, range).totals;
}

/** Sums every person's views in `range`, and the docs totals in `before` (a range ending before it starts). */
function sum(view: PageViewView, { from, to }: Range, before: Range): { figures: RangeFigures; previous: PageViewTotals } {
  const n = view.paths.size;
  const doc = Uint8Array.from({ length: n }, (_, code) => {
    const path = view.paths.text(code);
    return path !== null && isDocPath(path) ? 1 : 0;
  });
  const views = new Float64Array(n);
  const readers = new Float64Array(n);
  const converted = new Float64Array(n);
  const convertedAny = new Float64Array(n);
  const titleAt = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const title = new Uint32Array(n);
  const titleTied = new Uint8Array(n);
  const audience = { persons: 0, converted: 0 };
  const totals = { views: 0, readers: 0 };
  const previous = { views: 0, readers: 0 };
  // Per person scratch, by path code: marked with the person's number when first seen, so nothing is cleared.
  const seenBy = new Float64Array(n);
  const firstAt = new Float64Array(n);
  const touched = new Uint32Array(n);
  let person = 0;
  const earliest = Math.min(from, before.from);
  view.visit((_pid, run, start, end, firstSuccess) => {
    const { times, paths, titles } = run;
    person++;
    // The person's first view in range (of any page, with or without a path), once `inRange`.
    let inRange = false;
    let first = 0;
    let pages = 0;
    let docReader = false;
    let docReaderBefore = false;
    for (let i = start; i < end; i++) {
      const ts = times[i]!;
      if (ts < earliest) continue;
      if (ts > to) break;
      const path = paths[i]!;
      if (ts < from) {
        // The previous period needs only the docs totals.
        if (ts >= before.from && ts <= before.to && doc[path] === 1) {
          previous.views++;
          docReaderBefore = true;
        }
        continue;
      }
      if (!inRange) {
        inRange = true;
        first = ts;
      }
      if (path === 0) continue;
      if (seenBy[path] !== person) {
        seenBy[path] = person;
        firstAt[path] = ts;
        touched[pages++] = path;
      }
      views[path]!++;
      if (doc[path] === 1) {
        totals.views++;
        docReader = true;
      }
      const t = titles[i]!;
      if (t === 0) continue;
      // The raw query takes the latest by (time, event id); event ids are not kept, so a different title at the
      // same instant is left to the database.
      if (ts > titleAt[path]!) {
        titleAt[path] = ts;
        title[path] = t;
        titleTied[path] = 0;
      } else if (ts === titleAt[path] && t !== title[path]) titleTied[path] = 1;
    }
    if (docReaderBefore) previous.readers++;
    if (!inRange) return;
    const success = !Number.isNaN(firstSuccess) && firstSuccess <= to;
    audience.persons++;
    if (success && firstSuccess >= first) audience.converted++;
    if (docReader) totals.readers++;
    for (let k = 0; k < pages; k++) {
      const path = touched[k]!;
      readers[path]!++;
      if (success && firstSuccess >= firstAt[path]!) converted[path]!++;
      if (success && firstSuccess >= first) convertedAny[path]!++;
    }
  });
  return { figures: { views, readers, converted, convertedAny, titleAt, title, titleTied, audience, totals }, previous };
}

/**
 * The docs report's page-view source over `fresh()` (a page-view snapshot); titles tied at their latest instant are
 * read from `database`.
 */
export function docsPageViewsFromState(database: SqlDatabase, fresh: () => Promise<PageViewView>): DocsPageViewSource {
  return {
    async pages(range) {
      const view = await fresh();
      const figures = figuresOf(view, range);
      const rows: PageViewsRow[] = [];
      const tied: string[] = [];
      for (let code = 1; code < view.paths.size; code++) {
        if (figures.readers[code] === 0) continue;
        const path = view.paths.text(code)!;
        if (figures.titleTied[code]) tied.push(path);
        rows.push({
          path,
          title: view.titles.text(figures.title[code]!),
          views: figures.views[code]!,
          readers: figures.readers[code]!,
          readersConverted: figures.converted[code]!,
          readersConvertedAny: figures.convertedAny[code]!,
        });
      }
      if (tied.length > 0) {
        const titles = await latestTitles(database, range, tied);
        for (const row of rows) if (titles.has(row.path)) row.title = titles.get(row.path)!;
      }
      rows.sort((a, b) => compareBytewise(a.path, b.path));
      return { views: rows, audience: figures.audience };
    },
    async totals(range) {
      return totalsOf(await fresh(), range);
    },
  };
}
