/**
 * The docs report's comments from the feedback held in memory (votes.ts): of the `doc_feedback` events whose
 * `comment` passes `feedbackHasComment` (docs-query.ts), the latest COMMENTS_PER_PAGE per page in a range, ordered
 * as `latestComments` ranks them over raw events (page, then time and event id, newest first).
 *
 * A feedback entry of a person's run carries a comment when its second code is at least {@link COMMENTED}; the
 * comment itself (event id, time, vote, text) is in a {@link CommentTable}, keyed by event id so that reloading a
 * person finds the same entries instead of adding new ones. Only commented events are in the table, their text cut
 * to TEXT_CAPS.comment as the report cuts it, so it holds at most one entry per commented `doc_feedback` event
 * stored (events are never rewritten, ids never reused), about 70 bytes plus the text, and is rebuilt with every
 * full load of the feedback.
 */
import { capText, TEXT_CAPS } from '../contract.ts';
import { COMMENTS_PER_PAGE, type CommentRow } from '../docs-query.ts';
import type { Range } from '../params.ts';
import { compareBytewise } from '../text-order.ts';
import { grown } from '../typed-arrays.ts';
import type { FeedCopyState } from './feed-copy.ts';
import { type PageViewArrays, type PersonPageViews, visitPageViews } from './page-view-arrays.ts';

/** A feedback entry's second code at or above this stands for a comment: COMMENTED + its index in the table. */
export const COMMENTED = 2 ** 31;
/** The vote of a comment sent without one. */
export const NO_VOTE = 0xffff_ffff;

/** Each person's feedback entries (votes.ts): time, page code, and vote code or {@link COMMENTED} + comment index. */
export type Feedback = FeedCopyState<PageViewArrays, PersonPageViews>;

/** Every comment seen since the last full load, by event id; the arrays are by comment index. */
export interface CommentTable {
  /** The index of event `id`'s comment, added when new; `vote` is the event's vote code, or NO_VOTE. */
  intern(id: number, ts: number, text: string, vote: number): number;
  readonly ids: Float64Array;
  readonly times: Float64Array;
  /** Vote codes (votes.ts), NO_VOTE for a comment sent without a vote. */
  readonly votes: Uint32Array;
  readonly texts: readonly string[];
}

/** An empty comment table. */
export function createCommentTable(): CommentTable {
  let ids = new Float64Array(256);
  let times = new Float64Array(256);
  let votes = new Uint32Array(256);
  const texts: string[] = [];
  const byId = new Map<number, number>();
  return {
    intern(id, ts, text, vote) {
      let index = byId.get(id);
      if (index !== undefined) return index;
      index = texts.length;
      ids = grown(ids, index + 1);
      times = grown(times, index + 1);
      votes = grown(votes, index + 1);
      ids[index] = id;
      times[index] = ts;
      votes[index] = vote;
      // Cut as shapeDocs cuts it (capText of a cut text is that text): the rest is never shown.
      texts.push(capText(text, TEXT_CAPS.comment));
      byId.set(id, index);
      return index;
    },
    get ids() {
      return ids;
    },
    get times() {
      return times;
    },
    get votes() {
      return votes;
    },
    texts,
  };
}

/** A page as the database returned it: text, or on SQLite a number (a numeric `path` property). */
export type PagePath = string | number;

/**
 * Order of pages as `ORDER BY path COLLATE BINARY` sorts them: numbers first (SQLite puts them before text) by
 * value, then text byte-wise (UTF-8).
 */
function pageOrder(a: PagePath, b: PagePath): number {
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a !== 'number') return 1;
    if (typeof b !== 'number') return -1;
    return a - b;
  }
  return compareBytewise(a, b);
}

/**
 * The latest COMMENTS_PER_PAGE comments per page of `range` among the entries of `feedback` (from `table`), ordered
 * by page, then time and event id, newest first; `pathOf` gives a page code's path.
 */
export function latestCommentsOf(feedback: Feedback, table: CommentTable, pathOf: (code: number) => PagePath, { from, to }: Range): CommentRow[] {
  const { ids, times, votes, texts } = table;
  const byPage = new Map<number, number[]>();
  visitPageViews(feedback.base, feedback.overlay, (_pid, run, start, end) => {
    const { times: at, paths, titles: codes } = run;
    for (let i = start; i < end; i++) {
      const ts = at[i]!;
      if (ts < from) continue;
      if (ts > to) break;
      const code = codes[i]!;
      if (code < COMMENTED) continue;
      const page = byPage.get(paths[i]!);
      if (page) page.push(code - COMMENTED);
      else byPage.set(paths[i]!, [code - COMMENTED]);
    }
  });
  const newestFirst = (a: number, b: number) => times[b]! - times[a]! || ids[b]! - ids[a]!;
  const pages = [...byPage.keys()].map((code) => ({ code, path: pathOf(code) })).sort((a, b) => pageOrder(a.path, b.path));
  const rows: CommentRow[] = [];
  for (const { code, path } of pages) {
    const latest = byPage.get(code)!.sort(newestFirst);
    for (const index of latest.slice(0, COMMENTS_PER_PAGE)) {
      const vote = votes[index]!;
      // A numeric page stays a number, as in the raw row (CommentRow's type says text; SQLite may hand a number).
      rows.push({ path: path as string, text: texts[index]!, timestamp: times[index]!, helpful: vote === NO_VOTE ? null : vote % 2 });
    }
  }
  return rows;
}
