/** Pure sorting, filtering and detail shaping for the doc satisfaction table. */
import { type DocPage, isDocPath } from '../../../api/analytics/contract.ts';
import { FEEDBACK_REASONS } from '../../tracking/events.ts';

export type DocSortKey = 'path' | 'views' | 'readers' | 'votes' | 'helpfulRate' | 'wilsonLower' | 'readerConversion' | 'nonReaderConversion' | 'flagged';
export type SortDirection = 'asc' | 'desc';

export const DOC_SORT_KEYS: readonly DocSortKey[] = [
  'path',
  'views',
  'readers',
  'votes',
  'helpfulRate',
  'wilsonLower',
  'readerConversion',
  'nonReaderConversion',
  'flagged',
];

/** Total votes (latest per person) on a page. */
export function votes(page: Pick<DocPage, 'helpful' | 'notHelpful'>): number {
  return page.helpful + page.notHelpful;
}

function sortValue(page: DocPage, key: DocSortKey): number | string | null {
  switch (key) {
    case 'path':
      return page.path;
    case 'votes':
      return votes(page);
    case 'flagged':
      return page.flagged ? 1 : 0;
    default:
      return page[key];
  }
}

/**
 * Sorts pages by a column. Missing values (no votes → no rate) always go last whatever the direction, so
 * "worst first" never opens on pages nobody rated. Ties fall back to views (busiest first), then path.
 */
export function sortPages(pages: ReadonlyArray<DocPage>, key: DocSortKey, direction: SortDirection): DocPage[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...pages].sort((a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    const aMissing = va === null || (typeof va === 'number' && !Number.isFinite(va));
    const bMissing = vb === null || (typeof vb === 'number' && !Number.isFinite(vb));
    if (aMissing !== bMissing) return aMissing ? 1 : -1;
    if (!aMissing && !bMissing && va !== vb) {
      const cmp = typeof va === 'string' && typeof vb === 'string' ? va.localeCompare(vb) : (va as number) - (vb as number);
      if (cmp !== 0) return sign * cmp;
    }
    return b.views - a.views || a.path.localeCompare(b.path);
  });
}

/** The default order: worst Wilson lower bound first, unrated pages last. */
export function worstFirst(pages: ReadonlyArray<DocPage>): DocPage[] {
  return sortPages(pages, 'wilsonLower', 'asc');
}

export interface DocFilter {
  /** Case-insensitive substring of the path or the title. */
  text: string;
  /** Also pages outside the docs and quickstarts (home, signup, dashboard). */
  allPages?: boolean;
  flaggedOnly: boolean;
  minVotes: number;
}

/** Applies the table's filter controls. */
export function filterPages(pages: ReadonlyArray<DocPage>, filter: DocFilter): DocPage[] {
  const needle = filter.text.trim().toLowerCase();
  return pages.filter(
    (p) =>
      (filter.allPages || isDocPath(p.path)) &&
      (!needle || p.path.toLowerCase().includes(needle) || (p.title ?? '').toLowerCase().includes(needle)) &&
      (!filter.flaggedOnly || p.flagged) &&
      votes(p) >= filter.minVotes,
  );
}

const REASON_LABELS: ReadonlyMap<string, string> = new Map(FEEDBACK_REASONS.map((r) => [r.value, r.label]));

/** A reason as readers saw it in the feedback widget ("The code didn't work"); a code the widget never offered stays as sent. */
export function reasonLabel(reason: string): string {
  return REASON_LABELS.get(reason) ?? reason;
}

/** A page's title without the site name Starlight appends (`Authentication | Onramp Developers` → `Authentication`). */
export function pageTitle(page: Pick<DocPage, 'title' | 'path'>): string {
  const title = page.title?.replace(/\s+\|\s+[^|]+$/, '').trim();
  return title || page.path;
}

export interface ReasonRow {
  reason: string;
  count: number;
  share: number;
}

/** Reasons given with "not helpful" votes, as readers saw them, most frequent first, with their share of all reasons. */
export function reasonRows(reasons: Record<string, number>): ReasonRow[] {
  const entries = Object.entries(reasons).filter(([, n]) => Number.isFinite(n) && n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  return entries
    .map(([reason, count]) => ({ reason: reasonLabel(reason), count, share: total > 0 ? count / total : 0 }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** Comments newest first; unparseable timestamps sink to the end. */
export function commentsNewestFirst(comments: DocPage['comments']): DocPage['comments'] {
  const time = (t: string) => {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? -Infinity : ms;
  };
  return [...comments].sort((a, b) => time(b.timestamp) - time(a.timestamp));
}

/** Reads a sort column from the URL, falling back to the default. */
export function parseDocSort(key: string | null, dir: string | null): { key: DocSortKey; direction: SortDirection } {
  const k = (DOC_SORT_KEYS as readonly string[]).includes(key ?? '') ? (key as DocSortKey) : 'wilsonLower';
  return { key: k, direction: dir === 'desc' ? 'desc' : dir === 'asc' ? 'asc' : k === 'wilsonLower' ? 'asc' : 'desc' };
}
