/**
 * The in-memory form of each person's page views, pure: persons with a contiguous run of views sorted by (time,
 * event id) in typed arrays, 16 bytes per view (time; page path and title as 32-bit codes) and 20 per person (id,
 * run start, first successful call). Unlike the milestones' arrays, persons are in no particular order: the docs
 * report sums over them. The doc votes (votes.ts) are held in the same shape, a vote's page and vote as the two codes.
 */
import { grown } from '../typed-arrays.ts';

/** Texts (page paths, titles) as codes from 1, in the order first seen; 0 stands for none (NULL). */
export interface TextCodes {
  /** The code of `text`, given one when new; 0 for null. */
  intern(text: string | null): number;
  /** The text of `code`; null for 0. */
  text(code: number): string | null;
  /** One more than the largest code given. */
  readonly size: number;
}

/** An empty text dictionary. */
export function createTextCodes(): TextCodes {
  const codes = new Map<string, number>();
  const texts: Array<string | null> = [null];
  return {
    intern(text) {
      if (text === null) return 0;
      let code = codes.get(text);
      if (code === undefined) {
        code = texts.length;
        codes.set(text, code);
        texts.push(text);
      }
      return code;
    },
    text: (code) => texts[code] ?? null,
    get size() {
      return texts.length;
    },
  };
}

/** One person's page views: parallel arrays sorted by (time, event id). */
export interface PersonPageViews {
  times: Float64Array;
  paths: Uint32Array;
  titles: Uint32Array;
  /** Time of the person's first successful call, NaN when none. */
  firstSuccess: number;
}

/** Every person's page views; person i's are [starts[i], starts[i + 1]) of the view arrays. */
export interface PageViewArrays {
  persons: number;
  pids: Float64Array;
  starts: Uint32Array;
  firstSuccess: Float64Array;
  times: Float64Array;
  paths: Uint32Array;
  titles: Uint32Array;
}

/** Called per person: their views are [start, end) of `views`. */
export type PageViewVisitor = (pid: number, views: Omit<PersonPageViews, 'firstSuccess'>, start: number, end: number, firstSuccess: number) => void;

/** Builds {@link PageViewArrays} person by person, growing its arrays by doubling. */
export function createPageViewBuilder() {
  let pids = new Float64Array(1024);
  let starts = new Uint32Array(1025);
  let firstSuccess = new Float64Array(1024);
  let times = new Float64Array(4096);
  let paths = new Uint32Array(4096);
  let titles = new Uint32Array(4096);
  let persons = 0;
  let views = 0;
  const room = (more: number) => {
    times = grown(times, views + more);
    paths = grown(paths, views + more);
    titles = grown(titles, views + more);
  };
  return {
    /** Starts person `pid`; their views follow. */
    person(pid: number, success: number) {
      pids = grown(pids, persons + 1);
      firstSuccess = grown(firstSuccess, persons + 1);
      starts = grown(starts, persons + 2);
      pids[persons] = pid;
      firstSuccess[persons] = success;
      starts[persons] = views;
      persons++;
      starts[persons] = views;
    },
    /** Adds a view to the last person. */
    view(ts: number, path: number, title: number) {
      room(1);
      times[views] = ts;
      paths[views] = path;
      titles[views] = title;
      starts[persons] = ++views;
    },
    /** Adds views [start, end) of `from` to the last person. */
    copy(from: Omit<PersonPageViews, 'firstSuccess'>, start: number, end: number) {
      room(end - start);
      times.set(from.times.subarray(start, end), views);
      paths.set(from.paths.subarray(start, end), views);
      titles.set(from.titles.subarray(start, end), views);
      views += end - start;
      starts[persons] = views;
    },
    /** The arrays, cut to size. */
    finish(): PageViewArrays {
      return {
        persons,
        pids: pids.slice(0, persons),
        starts: starts.slice(0, persons + 1),
        firstSuccess: firstSuccess.slice(0, persons),
        times: times.slice(0, views),
        paths: paths.slice(0, views),
        titles: titles.slice(0, views),
      };
    },
  };
}

/**
 * Visits every person of `base` not in `overlay`, then every person of `overlay` (null: the person has no views
 * any more).
 */
export function visitPageViews(base: PageViewArrays, overlay: ReadonlyMap<number, PersonPageViews | null>, visit: PageViewVisitor): void {
  for (let i = 0; i < base.persons; i++) {
    const pid = base.pids[i]!;
    if (!overlay.has(pid)) visit(pid, base, base.starts[i]!, base.starts[i + 1]!, base.firstSuccess[i]!);
  }
  for (const [pid, person] of overlay) if (person) visit(pid, person, 0, person.times.length, person.firstSuccess);
}

/** `base` with `overlay` folded in: new arrays, the inputs unchanged. */
export function compactPageViews(base: PageViewArrays, overlay: ReadonlyMap<number, PersonPageViews | null>): PageViewArrays {
  const builder = createPageViewBuilder();
  visitPageViews(base, overlay, (pid, views, start, end, success) => {
    builder.person(pid, success);
    builder.copy(views, start, end);
  });
  return builder.finish();
}
