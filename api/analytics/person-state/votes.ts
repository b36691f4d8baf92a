/**
 * Every person's documentation votes (`doc_feedback` events) in memory, loaded on first use and kept fresh from the
 * change feed like the page views (feed-copy.ts: a vote is a milestone, so every person whose votes change, by a new
 * vote or a merge, is named there). From them the latest vote of each person per page in a range is counted as
 * `latestVotes` (docs-query.ts) ranks it: the vote's page, helpfulness and reason are read by the same SQL
 * expressions, votes that are neither helpful nor not are left out before ranking, and of one person's votes on one
 * page at one instant the one stored last (highest event id) wins.
 *
 * Memory: 16 bytes per vote and 20 per person who voted: the votes are held in the page views' arrays
 * (page-view-arrays.ts), each vote's page as the path code and its vote and reason as the second code, `vote()`.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { feedbackHelpful, feedbackPath } from '../docs-query.ts';
import type { DocsVoteSource, VoteCountRow } from '../docs-votes.ts';
import type { Range } from '../params.ts';
import { createFeedCopy, type FeedCopyState } from './feed-copy.ts';
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

type Votes = FeedCopyState<PageViewArrays, PersonPageViews>;
type VoteRow = { person_id: unknown; timestamp: unknown; path: unknown; helpful: unknown; reason: unknown };

/** The votes `latestVotes` ranks, of the events matching `where`, in (person, time, event id) order. */
function voteRows(database: SqlDatabase, where: ReturnType<typeof sql>) {
  const f = database.fragments;
  return sql`SELECT person_id, timestamp, ${feedbackPath(f)} AS path, ${feedbackHelpful(f)} AS helpful, ${f.jsonText(sql.raw('properties'), 'reason')} AS reason
    FROM events WHERE event = 'doc_feedback' AND ${where} AND ${feedbackHelpful(f)} IS NOT NULL AND ${feedbackPath(f)} IS NOT NULL
    ORDER BY person_id, timestamp, id`;
}

/**
 * A page's key: its text, tagged by whether the database handed back text or something else (a number on SQLite),
 * which `latestVotes` ranks apart from the same text.
 */
const pathKey = (path: unknown) => (typeof path === 'string' ? `s${path}` : `n${String(path)}`);
const pathText = (key: string) => key.slice(1);

/** The arrays' codes of a vote row: page (see {@link pathKey}) and vote. */
function codesOf(row: VoteRow, paths: TextCodes, reasons: TextCodes): [number, number] {
  // As voteCounts reads it: a reason that is not a string is counted as its text.
  const reason = reasons.intern(row.reason === null || row.reason === undefined ? null : String(row.reason));
  return [paths.intern(pathKey(row.path)), vote(reason, Number(row.helpful))];
}

/**
 * Counts the latest vote of each person per page in `range` by (page, vote, reason). Each person's votes are in
 * (time, event id) order, so the last one of a page in range is the one `latestVotes` ranks first.
 */
function countLatest(state: Votes, paths: TextCodes, reasons: TextCodes, { from, to }: Range): VoteCountRow[] {
  const latest = new Int32Array(paths.size);
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
      const path = codes[i]!;
      if (seenBy[path] !== person) {
        seenBy[path] = person;
        touched[pages++] = path;
      }
      latest[path] = i;
    }
    for (let k = 0; k < pages; k++) {
      const path = touched[k]!;
      const code = voteCodes[latest[path]!]!;
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
 * The docs report's and the funnel flags' vote source over every person's votes in memory, loaded on the first
 * `counts` (or `warm`); each range is counted once per state of the copy.
 */
export function votesFromState(database: SqlDatabase): DocsVoteSource & { warm(): Promise<void> } {
  const paths = createTextCodes();
  const reasons = createTextCodes();
  const copy = createFeedCopy<PageViewArrays, PersonPageViews>(database, {
    async loadAll() {
      const builder = createPageViewBuilder();
      let last = Number.NaN;
      for await (const batch of database.stream<VoteRow>(voteRows(database, sql`1 = 1`), LOAD_BATCH)) {
        for (const row of batch) {
          const pid = Number(row.person_id);
          if (pid !== last) builder.person((last = pid), Number.NaN);
          builder.view(Number(row.timestamp), ...codesOf(row, paths, reasons));
        }
      }
      return builder.finish();
    },
    async loadPersons(pids) {
      const keys = database.fragments.boundRows(
        pids.map((pid) => [pid]),
        [['pid', 'integer']],
      );
      const rows = await database.all<VoteRow>(voteRows(database, sql`person_id IN (SELECT pid FROM ${keys} AS k)`));
      const byPerson = new Map<number, VoteRow[]>();
      for (const row of rows) {
        const pid = Number(row.person_id);
        const mine = byPerson.get(pid);
        if (mine) mine.push(row);
        else byPerson.set(pid, [row]);
      }
      const out = new Map<number, PersonPageViews | null>(pids.map((pid) => [pid, null]));
      for (const [pid, mine] of byPerson) {
        const codes = mine.map((row) => codesOf(row, paths, reasons));
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
  // Counts by range for the copy's current state: a report asks for one range more than once.
  let memo: { state: Votes; byRange: Map<string, VoteCountRow[]> } | undefined;
  return {
    async counts(range) {
      const state = await copy.fresh();
      if (memo?.state !== state) memo = { state, byRange: new Map() };
      const key = `${range.from}:${range.to}`;
      let rows = memo.byRange.get(key);
      if (!rows) memo.byRange.set(key, (rows = countLatest(state, paths, reasons, range)));
      return rows;
    },
    async warm() {
      await copy.fresh();
    },
  };
}
