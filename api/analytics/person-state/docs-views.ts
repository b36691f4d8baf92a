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
import type { Range } from '../params.ts';
import type { PageViewView } from './page-view-snapshot.ts';

/** One pass's figures; per-page arrays are indexed by path code. */
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

/** Figures already summed, per view and range: the report asks for the current range twice (pages, totals). */
const summed = new WeakMap<PageViewView, Map<string, RangeFigures>>();

/** Sums every person's views in [from, to]. */
function figuresOf(view: PageViewView, range: Range): RangeFigures {
  let byRange = summed.get(view);
  if (!byRange) summed.set(view, (byRange = new Map()));
  const key = `${range.from}:${range.to}`;
  let figures = byRange.get(key);
  if (!figures) byRange.set(key, (figures = sum(view, range)));
  return figures;
}

function sum(view: PageViewView, { from, to }: Range): RangeFigures {
  const n = view.paths.size;
  const doc = Uint8Array.from({ length: n }, (_, code) => {
    const path = view.paths.text(code);
    return path !== null && isDocPath(path) ? 1 : 0;
  });
  const out: RangeFigures = {
    views: new Float64Array(n),
    readers: new Float64Array(n),
    converted: new Float64Array(n),
    convertedAny: new Float64Array(n),
    titleAt: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
    title: new Uint32Array(n),
    titleTied: new Uint8Array(n),
    audience: { persons: 0, converted: 0 },
    totals: { views: 0, readers: 0 },
  };
  // Per person scratch, by path code: marked with the person's number when first seen, so nothing is cleared.
  const seenBy = new Float64Array(n);
  const firstAt = new Float64Array(n);
  const touched = new Uint32Array(n);
  let person = 0;
  view.visit((_pid, { times, paths, titles }, start, end, firstSuccess) => {
    person++;
    let first = Number.NaN;
    let pages = 0;
    let docReader = false;
    for (let i = start; i < end; i++) {
      const ts = times[i]!;
      if (ts < from) continue;
      if (ts > to) break;
      if (Number.isNaN(first)) first = ts;
      const path = paths[i]!;
      if (path === 0) continue;
      if (seenBy[path] !== person) {
        seenBy[path] = person;
        firstAt[path] = ts;
        touched[pages++] = path;
      }
      out.views[path]!++;
      if (doc[path]) {
        out.totals.views++;
        docReader = true;
      }
      const title = titles[i]!;
      if (title === 0) continue;
      // The raw query takes the latest by (time, event id); event ids are not kept, so a different title at the
      // same instant is left to the database.
      if (ts > out.titleAt[path]!) {
        out.titleAt[path] = ts;
        out.title[path] = title;
        out.titleTied[path] = 0;
      } else if (ts === out.titleAt[path] && title !== out.title[path]) out.titleTied[path] = 1;
    }
    if (Number.isNaN(first)) return;
    const success = !Number.isNaN(firstSuccess) && firstSuccess <= to;
    out.audience.persons++;
    if (success && firstSuccess >= first) out.audience.converted++;
    if (docReader) out.totals.readers++;
    for (let k = 0; k < pages; k++) {
      const path = touched[k]!;
      out.readers[path]!++;
      if (success && firstSuccess >= firstAt[path]!) out.converted[path]!++;
      if (success && firstSuccess >= first) out.convertedAny[path]!++;
    }
  });
  return out;
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
      rows.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
      return { views: rows, audience: figures.audience };
    },
    async totals(range) {
      return figuresOf(await fresh(), range).totals;
    },
  };
}
