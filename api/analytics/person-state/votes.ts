/**
 * Every person's documentation feedback (`doc_feedback` events) in memory, loaded on first use and kept fresh from
 * the change feed like the page views (feed-copy.ts: feedback is a milestone, so every person whose feedback changes,
 * by a new event or a merge, is named there). From it the latest vote of each person per page in a range is counted
 * as `latestVotes` (docs-query.ts) ranks it: the vote's page, helpfulness and reason are read by the same SQL
 * expressions, votes that are neither helpful nor not are left out before ranking, and of one person's votes on one
 * page at one instant the one stored last (highest event id) wins. The latest comments per page come from the same
 * entries (comments.ts), as `latestComments` ranks them.
 *
 * Held: every event with a page that is a vote or carries a comment (`feedbackHasComment`), in the page views'
 * arrays (page-view-arrays.ts): 16 bytes per event and 20 per person, each event's page as the path code and as the
 * second code its vote and reason, `vote()`, or for a commented event its entry in the comment table (comments.ts:
 * event id, time, vote and text cut to TEXT_CAPS.comment, about 70 bytes plus the text, for commented events only).
 */
import { type SQL, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import type { CommentRow } from '../docs-query.ts';
import { feedbackHasComment, feedbackHelpful, feedbackPath } from '../docs-query.ts';
import type { DocsVoteSource, VoteCountRow } from '../docs-votes.ts';
import type { Range } from '../params.ts';
import { eventRows } from '../sql.ts';
import { COMMENTED, type CommentTable, createCommentTable, type Feedback, latestCommentsOf, NO_VOTE, type PagePath } from './comments.ts';
import { createFeedCopy } from './feed-copy.ts';
import {
  compactPageViews,
  createPageViewBuilder,
  createTextCodes,
  type PageViewArrays,
  type PersonPageViews,
  type TextCodes,
  visitPageViews,
} from './page-view-arrays.ts';

/** Rows per batch when loading. */
const LOAD_BATCH = 20_000;

/** The second code of a vote: its reason's code and whether it was helpful. */
const vote = (reason: number, helpful: number) => reason * 2 + helpful;

type VoteRow = { person_id: unknown; id: unknown; timestamp: unknown; path: unknown; helpful: unknown; reason: unknown; comment: unknown };

/**
 * The votes `latestVotes` ranks and the comments `latestComments` lists (the comment NULL when none), of every person
 * or of the persons in `keys` (a bound list of `pid`, `SqlFragments.boundRows`), in (person, time, event id) order.
 * Both read the per-person index of non-call events: a patch reads only the named persons' feedback, where filtering
 * by person after the event name read every `doc_feedback` row in the database (seconds at millions of events, on
 * the first report after a load that named those persons), and the whole load streams in order with no sort.
 *
 * @example
 * const rows = await database.all(voteRows(database, database.fragments.boundRows([[pid]], [['pid', 'integer']])));
 */
export function voteRows(database: SqlDatabase, keys?: SQL) {
  const f = database.fragments;
  // Unqualified columns are the events' own: the bound keys have only `pid` and `ord`.
  const properties = sql.raw('properties');
  const hasComment = feedbackHasComment(f);
  const path = feedbackPath(f);
  const helpful = feedbackHelpful(f);
  const feedback = eventRows(f, 'e', 'doc_feedback');
  // CROSS JOIN keeps the keys outside on SQLite, whose planner would otherwise scan the index's whole `doc_feedback`
  // range once per key; PostgreSQL plans it as any inner join.
  const from = keys ? sql`${keys} AS k CROSS JOIN ${feedback.from}` : feedback.from;
  const person = keys ? sql` AND e.person_id = k.pid` : sql``;
  return sql`SELECT e.person_id AS person_id, e.id AS id, e.timestamp AS timestamp, ${path} AS path, ${helpful} AS helpful,
           ${f.jsonText(properties, 'reason')} AS reason, CASE WHEN ${hasComment} THEN ${f.jsonText(properties, 'comment')} END AS comment
    FROM ${from} WHERE ${feedback.where}${person} AND ${path} IS NOT NULL AND (${helpful} IS NOT NULL OR (${hasComment}))
    ORDER BY e.person_id, e.timestamp, e.id`;
}

/**
 * A page's key: its text, tagged by whether the database handed back text or something else (a number on SQLite),
 * which `latestVotes` ranks apart from the same text.
 */
const pathKey = (path: unknown) => (typeof path === 'string' ? `s${path}` : `n${String(path)}`);
const pathText = (key: string) => key.slice(1);
/** The page of a key as the database handed it back. */
const pathValue = (key: string): PagePath => (key[0] === 's' ? pathText(key) : Number(pathText(key)));

const isNull = (value: unknown) => value === null || value === undefined;

/** The arrays' codes of a feedback row: page (see {@link pathKey}), and vote or comment (comments.ts). */
function codesOf(row: VoteRow, paths: TextCodes, reasons: TextCodes, comments: CommentTable): [number, number] {
  // As voteCounts reads it: a reason that is not a string is counted as its text.
  const code = isNull(row.helpful) ? NO_VOTE : vote(reasons.intern(isNull(row.reason) ? null : String(row.reason)), Number(row.helpful));
  const path = paths.intern(pathKey(row.path));
  if (isNull(row.comment)) return [path, code];
  return [path, COMMENTED + comments.intern(Number(row.id), Number(row.timestamp), String(row.comment), code)];
}

/**
 * Counts the latest vote of each person per page in `range` by (page, vote, reason). Each person's votes are in
 * (time, event id) order, so the last one of a page in range is the one `latestVotes` ranks first.
 */
function countLatest(state: Feedback, paths: TextCodes, reasons: TextCodes, comments: CommentTable, { from, to }: Range): VoteCountRow[] {
  const latest = new Uint32Array(paths.size);
  const seenBy = new Float64Array(paths.size);
  const touched = new Uint32Array(paths.size);
  const counts = new Map<number, Map<number, number>>();
  let person = 0;
  visitPageViews(state.base, state.overlay, (_pid, votes, start, end) => {
    person++;
    let pages = 0;
    const { times, paths: codes, titles: voteCodes } = votes;
    for (let i = start; i < end; i++) {
      const ts = times[i]!;
      if (ts < from) continue;
      if (ts > to) break;
      let code = voteCodes[i]!;
      if (code >= COMMENTED) code = comments.votes[code - COMMENTED]!;
      if (code === NO_VOTE) continue;
      const path = codes[i]!;
      if (seenBy[path] !== person) {
        seenBy[path] = person;
        touched[pages++] = path;
      }
      latest[path] = code;
    }
    for (let k = 0; k < pages; k++) {
      const path = touched[k]!;
      const code = latest[path]!;
      const key = path * 2 + (code % 2);
      let byReason = counts.get(key);
      if (!byReason) counts.set(key, (byReason = new Map()));
      const reason = Math.floor(code / 2);
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    }
  });
  const rows: VoteCountRow[] = [];
  for (const [key, byReason] of counts) {
    const path = pathText(paths.text(Math.floor(key / 2))!);
    for (const [reason, n] of byReason) rows.push({ path, helpful: key % 2, reason: reasons.text(reason), n });
  }
  return rows;
}

/**
 * The docs report's and the funnel flags' vote and comment source over every person's feedback in memory, loaded on
 * the first read (or `warm`); each range is counted once per state of the copy.
 */
export function votesFromState(database: SqlDatabase): DocsVoteSource & { warm(): Promise<void> } {
  const paths = createTextCodes();
  const reasons = createTextCodes();
  // Replaced by each full load, so comments of events no longer stored do not pile up.
  let comments = createCommentTable();
  const copy = createFeedCopy<PageViewArrays, PersonPageViews>(database, {
    async loadAll() {
      const builder = createPageViewBuilder();
      const table = createCommentTable();
      let last = Number.NaN;
      for await (const batch of database.stream<VoteRow>(voteRows(database), LOAD_BATCH)) {
        for (const row of batch) {
          const pid = Number(row.person_id);
          if (pid !== last) builder.person((last = pid), Number.NaN);
          builder.view(Number(row.timestamp), ...codesOf(row, paths, reasons, table));
        }
      }
      comments = table;
      return builder.finish();
    },
    async loadPersons(pids) {
      const keys = database.fragments.boundRows(
        pids.map((pid) => [pid]),
        [['pid', 'integer']],
      );
      const rows = await database.all<VoteRow>(voteRows(database, keys));
      const byPerson = new Map<number, VoteRow[]>();
      for (const row of rows) {
        const pid = Number(row.person_id);
        const mine = byPerson.get(pid);
        if (mine) mine.push(row);
        else byPerson.set(pid, [row]);
      }
      const out = new Map<number, PersonPageViews | null>(pids.map((pid) => [pid, null]));
      for (const [pid, mine] of byPerson) {
        const codes = mine.map((row) => codesOf(row, paths, reasons, comments));
        out.set(pid, {
          times: Float64Array.from(mine, (row) => Number(row.timestamp)),
          paths: Uint32Array.from(codes, (c) => c[0]),
          titles: Uint32Array.from(codes, (c) => c[1]),
          firstSuccess: Number.NaN,
        });
      }
      return out;
    },
    persons: (base) => base.persons,
    compact: (base, overlay) => compactPageViews(base, overlay),
  });
  // Counts and comments by range for the copy's current state: a report asks for one range more than once.
  let memo: { state: Feedback; counts: Map<string, VoteCountRow[]>; comments: Map<string, CommentRow[]> } | undefined;
  async function memoized<T>(range: Range, pick: (m: NonNullable<typeof memo>) => Map<string, T>, compute: (state: Feedback) => T): Promise<T> {
    const state = await copy.fresh();
    if (memo?.state !== state) memo = { state, counts: new Map(), comments: new Map() };
    const byRange = pick(memo);
    const key = `${range.from}:${range.to}`;
    let value = byRange.get(key);
    if (value === undefined) byRange.set(key, (value = compute(state)));
    return value;
  }
  const pathOf = (code: number) => pathValue(paths.text(code)!);
  return {
    counts: (range) =>
      memoized(
        range,
        (m) => m.counts,
        (state) => countLatest(state, paths, reasons, comments, range),
      ),
    comments: (range) =>
      memoized(
        range,
        (m) => m.comments,
        (state) => latestCommentsOf(state, comments, pathOf, range),
      ),
    async warm() {
      await copy.fresh();
    },
  };
}
