/**
 * Synthetic onboarding events for the reports benchmark, written straight into a migrated Onramp database
 * (same schema, same indexes) with prepared statements in large transactions. The events table's secondary
 * indexes are dropped during the load and rebuilt afterwards from their original SQL, which is far faster than
 * maintaining five indexes row by row and ends in exactly the migrated schema.
 */
import type { Database } from 'better-sqlite3';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** mulberry32: small, fast, deterministic. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DOC_PATHS = [
  '/docs/',
  '/docs/introduction/',
  '/docs/authentication/',
  '/docs/first-call/',
  '/docs/errors/',
  '/docs/rate-limits/',
  '/docs/pagination/',
  '/docs/reference/messages/',
  '/docs/changelog/',
  '/docs/quickstarts/curl/',
  '/docs/quickstarts/node/',
  '/docs/quickstarts/python/',
];
const ENDPOINTS = ['/sandbox/v1/messages', '/sandbox/v1/messages/:id'];
const SOURCES = ['google', 'github', 'twitter', 'newsletter', 'direct', 'hn', 'reddit', 'partner'];

export interface GenerateOptions {
  events: number;
  persons: number;
  /** End of the generated period (epoch ms); events span the 56 days before it. */
  end: number;
  seed?: number;
}

export interface GenerateResult {
  events: number;
  persons: number;
  seconds: number;
}

/**
 * Fills an empty, migrated database with about `events` events from `persons` developers. Each developer reads
 * docs, most sign up, many create a key, and those call the sandbox, hitting errors before (and sometimes instead
 * of) a first success. Returns the exact number of events written.
 */
export function generateEvents(sqlite: Database, opts: GenerateOptions): GenerateResult {
  const started = performance.now();
  const rand = prng(opts.seed ?? 42);
  const span = 56 * DAY;
  const begin = opts.end - span;
  const perPerson = opts.events / opts.persons;

  const indexSql = sqlite
    .prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL")
    .all();
  for (const { name } of indexSql) sqlite.exec(`DROP INDEX "${name}"`);

  const insertPerson = sqlite.prepare('INSERT INTO persons (id, uuid, properties, is_identified, created_at) VALUES (?, ?, ?, 1, ?)');
  const insertDistinct = sqlite.prepare('INSERT INTO person_distinct_ids (distinct_id, person_id) VALUES (?, ?)');
  const insertEvent = sqlite.prepare(
    'INSERT INTO events (uuid, event, distinct_id, person_id, timestamp, received_at, properties) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );

  let written = 0;
  const uuid = (n: number) => `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;

  const writePerson = (pid: number, budget: number) => {
    const distinctId = `dev-${pid}`;
    let t = begin + rand() * span;
    const emit = (event: string, props: string) => {
      if (budget <= 0 || t > opts.end) return false;
      written += 1;
      budget -= 1;
      const ts = Math.round(t);
      insertEvent.run(uuid(written), event, distinctId, pid, ts, ts, props);
      return true;
    };
    insertPerson.run(pid, `00000000-0000-7000-9000-${pid.toString(16).padStart(12, '0')}`, '{}', Math.round(t));
    insertDistinct.run(distinctId, pid);
    const source = pick(SOURCES);
    const reads = 1 + Math.floor(rand() * 4);
    let lastPath = '/docs/';
    for (let i = 0; i < reads; i++) {
      lastPath = pick(DOC_PATHS);
      emit('$pageview', `{"$pathname":"${lastPath}","$current_url":"http://localhost:8787${lastPath}","utm_source":"${source}"}`);
      t += rand() * 10 * 60_000;
    }
    if (rand() < 0.15) {
      const helpful = rand() < 0.6;
      emit('doc_feedback', `{"helpful":${helpful},"path":"${lastPath}"${helpful ? '' : ',"reason":"missing info","comment":"needs an example"'}}`);
    }
    if (rand() > 0.65) return fill();
    t += rand() * 2 * HOUR;
    emit('signed_up', `{"source":"${source}","plan":"${rand() < 0.8 ? 'free' : 'team'}"}`);
    if (rand() > 0.8) return fill();
    t += -Math.log(1 - rand()) * 0.5 * DAY;
    const prefix = `onr_test_${pid.toString(36).padStart(8, '0').slice(-8)}`;
    emit('api_key_created', `{"key_prefix":"${prefix}"}`);
    t += -Math.log(1 - rand()) * 3 * HOUR;
    const blocked = rand() < 0.2;
    let failures = blocked ? budget : Math.floor(-Math.log(1 - rand()) * 1.5);
    while (budget > 0 && t <= opts.end) {
      const failing = failures > 0;
      failures -= 1;
      const status = failing ? pick([401, 401, 400, 429, 500, 404]) : rand() < 0.3 ? 200 : 201;
      const code = { 401: 'invalid_api_key', 400: 'parameter_invalid', 429: 'rate_limit_exceeded', 404: 'resource_missing' }[status as 401];
      const duration = Math.round(20 + -Math.log(1 - rand()) * (failing ? 15 : 60));
      emit(
        'api_call',
        `{"status":${status},"method":"${status === 201 ? 'POST' : 'GET'}","endpoint":"${pick(ENDPOINTS)}","duration_ms":${duration},"key_prefix":"${prefix}"${code ? `,"error_code":"${code}"` : ''}}`,
      );
      if (failing && rand() < 0.05) emit('support_ticket_created', `{"topic":"first call","path":"/docs/first-call/"}`);
      t += -Math.log(1 - rand()) * (failing ? 10 * 60_000 : HOUR);
    }
    return fill();

    function fill() {
      while (budget > 0 && t <= opts.end) {
        const path = pick(DOC_PATHS);
        emit('$pageview', `{"$pathname":"${path}","$current_url":"http://localhost:8787${path}","utm_source":"${source}"}`);
        t += -Math.log(1 - rand()) * 2 * HOUR;
      }
    }
  };

  const chunk = 5_000;
  const load = sqlite.transaction((first: number, last: number) => {
    for (let pid = first; pid <= last; pid++) {
      const remaining = opts.events - written;
      const personsLeft = opts.persons - pid + 1;
      // Budgets vary per person but converge on the requested total.
      const mean = remaining / personsLeft;
      const budget = pid === opts.persons ? remaining : Math.max(1, Math.round(mean * (0.3 + rand() * 1.4)));
      writePerson(pid, Math.min(budget, Math.ceil(perPerson * 4)));
    }
  });
  for (let first = 1; first <= opts.persons; first += chunk) load(first, Math.min(opts.persons, first + chunk - 1));
  for (const { sql } of indexSql) sqlite.exec(sql);
  return { events: written, persons: opts.persons, seconds: (performance.now() - started) / 1000 };
}
