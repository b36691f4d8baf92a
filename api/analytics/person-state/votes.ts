/**
 * Every person's documentation votes (`doc_feedback` events) in memory, loaded on first use and kept fresh from the
 * change feed like the page views (feed-copy.ts: a vote is a milestone, so every person whose votes change, by a new
 * vote or a merge, is named there). From them the latest vote of each person per page in a range is counted as
 * `latestVotes` (docs-query.ts) ranks it: the vote's page, helpfulness and reason are read by the same SQL
 * expressions, votes that are neither helpful nor not are left out before ranking, and of one person's votes on one
 * page at one instant the one stored last (highest event id) wins.
 *
 * Memory: 17 bytes per vote (time, page and reason codes, vote) and one map entry per person.
 */
import { sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../storage/sql/interface.ts';
import { feedbackHelpful, feedbackPath } from '../docs-query.ts';
import type { DocsVoteSource, VoteCountRow } from '../docs-votes.ts';
import type { Range } from '../params.ts';
import { createFeedCopy, type FeedCopyState } from './feed-copy.ts';
import { createTextCodes, type TextCodes } from './page-view-arrays.ts';

/** Rows per batch when loading. */
const LOAD_BATCH = 20_000;

/** One person's votes: parallel arrays sorted by (time, event id), so the last of a tie is the one stored last. */
export interface PersonVotes {
  times: Float64Array;
  paths: Uint32Array;
  /** 1 helpful, 0 not. */
  helpful: Uint8Array;
  /** Reason codes; 0 for none. */
  reasons: Uint32Array;
}

type Votes = FeedCopyState<Map<number, PersonVotes>, PersonVotes>;
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

/** Groups rows, added in person order, into each person's votes in `into`; `end()` after the last. */
function collector(paths: TextCodes, reasons: TextCodes, into: Map<number, PersonVotes>) {
  let pid = Number.NaN;
  let run: VoteRow[] = [];
  const flush = () => {
    if (run.length === 0) return;
    into.set(pid, {
      times: Float64Array.from(run, (r) => Number(r.timestamp)),
      paths: Uint32Array.from(run, (r) => paths.intern(pathKey(r.path))),
      helpful: Uint8Array.from(run, (r) => Number(r.helpful)),
      // As voteCounts reads it: a reason that is not a string is counted as its text.
      reasons: Uint32Array.from(run, (r) => reasons.intern(r.reason === null || r.reason === undefined ? null : String(r.reason))),
    });
    run = [];
  };
  return {
    add(rows: Iterable<VoteRow>) {
      for (const row of rows) {
        const id = Number(row.person_id);
        if (id !== pid) {
          flush();
          pid = id;
        }
        run.push(row);
      }
    },
    end: flush,
  };
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
  const visit = (votes: PersonVotes) => {
    person++;
    let pages = 0;
    const { times, paths: codes } = votes;
    for (let i = 0; i < times.length; i++) {
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
      const i = latest[path]!;
      const key = path * 2 + votes.helpful[i]!;
      let byReason = counts.get(key);
      if (!byReason) counts.set(key, (byReason = new Map()));
      const reason = votes.reasons[i]!;
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    }
  };
  for (const [pid, votes] of state.base) if (!state.overlay.has(pid)) visit(votes);
  for (const votes of state.overlay.values()) if (votes) visit(votes);
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
  const copy = createFeedCopy<Map<number, PersonVotes>, PersonVotes>(database, {
    async loadAll() {
      const all = new Map<number, PersonVotes>();
      const votes = collector(paths, reasons, all);
      for await (const batch of database.stream<VoteRow>(voteRows(database, sql`1 = 1`), LOAD_BATCH)) votes.add(batch);
      votes.end();
      return all;
    },
    async loadPersons(pids) {
      const keys = database.fragments.boundRows(
        pids.map((pid) => [pid]),
        [['pid', 'integer']],
      );
      const found = new Map<number, PersonVotes>();
      const votes = collector(paths, reasons, found);
      votes.add(await database.all<VoteRow>(voteRows(database, sql`person_id IN (SELECT pid FROM ${keys} AS k)`)));
      votes.end();
      return new Map(pids.map((pid) => [pid, found.get(pid) ?? null]));
    },
    persons: (base) => base.size,
    compact(base, overlay) {
      const next = new Map(base);
      for (const [pid, votes] of overlay) {
        if (votes) next.set(pid, votes);
        else next.delete(pid);
      }
      return next;
    },
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
