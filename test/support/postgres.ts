import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { freePort } from './server.ts';

const run = promisify(execFile);

/** A PostgreSQL server for tests: a throwaway local cluster, or the one `TEST_POSTGRES_URL` names. */
export interface TestPostgres {
  /** URL of the server's `postgres` maintenance database, as its superuser. */
  url: string;
  /** Creates an empty database (a random `onramp_test_*` name unless given) and returns its URL. */
  createDatabase: (name?: string) => Promise<string>;
  /** Stops the throwaway cluster and deletes its files; on an external server, drops the databases made here. */
  stop: () => Promise<void>;
}

const NOT_INSTALLED =
  'PostgreSQL is not installed (no initdb from `pg_config --bindir`, /usr/lib/postgresql/*/bin or PATH): ' +
  'run `bash .ci/run` once, or `apt-get install -y postgresql`, or set TEST_POSTGRES_URL to a server to use';

/**
 * Starts PostgreSQL for a test file: with `TEST_POSTGRES_URL` set, databases are created on that server; otherwise
 * a fresh cluster is made with initdb in a temp folder and started on 127.0.0.1 at a free port, with trust auth and
 * fsync off (its data is thrown away). As root, the binaries run as the `postgres` OS user, since initdb refuses root.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.TEST_POSTGRES_URL;
  if (external) return onServer(external, async () => {});
  return startLocalCluster();
}

async function startLocalCluster(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'onramp-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, osUserId('-u'), osUserId('-g'));
  const pgRun = (tool: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    return run(file, argv, { cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
  };
  const stopSync = () => {
    const args = ['-D', data, '-m', 'immediate', 'stop'];
    try {
      execFileSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl'), ...args] : args, { stdio: 'ignore' });
    } catch {
      // Not running (never started, or already stopped).
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // pg_ctl daemonises the server, so a test process that dies without stop() would leave it running.
  process.once('exit', stopSync);
  try {
    await pgRun('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    const port = await startOnFreePort(data, dir, (args) => pgRun('pg_ctl', args));
    return await onServer(`postgres://postgres@127.0.0.1:${port}/postgres`, async () => {
      process.removeListener('exit', stopSync);
      await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });
  } catch (error) {
    process.removeListener('exit', stopSync);
    stopSync();
    throw error;
  }
}

/** Starts the cluster, retrying on another port if the one picked was taken meanwhile by another process. */
async function startOnFreePort(data: string, dir: string, pgCtl: (args: string[]) => Promise<unknown>): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    // Settings go in postgresql.conf rather than through pg_ctl -o, which a shell would re-split.
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${dir}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        '',
      ].join('\n'),
    );
    try {
      await pgCtl(['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
      return port;
    } catch (error) {
      const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
      if (attempt >= 3 || !log.includes('could not bind')) throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
    }
  }
}

/** Database helpers on a running server; `shutdown` runs after the databases made here are dropped. */
async function onServer(url: string, shutdown: () => Promise<void>): Promise<TestPostgres> {
  const created: string[] = [];
  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  await admin((client) => client.query('SELECT 1'));
  return {
    url,
    createDatabase: async (name = `onramp_test_${randomBytes(6).toString('hex')}`) => {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`createDatabase: "${name}" is not a plain lower-case identifier`);
      await admin((client) => client.query(`CREATE DATABASE "${name}"`));
      created.push(name);
      const databaseUrl = new URL(url);
      databaseUrl.pathname = `/${name}`;
      return databaseUrl.toString();
    },
    stop: async () => {
      if (created.length > 0) {
        await admin(async (client) => {
          for (const name of created.splice(0)) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        });
      }
      await shutdown();
    },
  };
}

/** Folder of initdb / pg_ctl: `pg_config --bindir`, else the newest /usr/lib/postgresql/<version>/bin, else PATH. */
export function postgresBinDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // No pg_config: look in the usual places.
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    candidates.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new Error(NOT_INSTALLED);
  return found;
}

/** Numeric uid (`-u`) or gid (`-g`) of the `postgres` OS user, which the Debian package creates. */
function osUserId(flag: '-u' | '-g'): number {
  try {
    return Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    throw new Error(`Running as root, PostgreSQL must run as the "postgres" OS user, which does not exist. ${NOT_INSTALLED}`);
  }
}

/**
 * One PostgreSQL for the calling test file (started before its tests, stopped after), plus cleanups a test
 * registers (pools, writers), run after each test in reverse order, so later resources close before earlier ones.
 */
export function usePostgres(): { server: () => TestPostgres; onCleanup: (cleanup: () => Promise<void>) => void } {
  let postgres: TestPostgres | undefined;
  let cleanups: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups = [];
  });
  afterAll(async () => {
    await postgres?.stop();
  });
  return {
    server: () => {
      if (!postgres) throw new Error('usePostgres: PostgreSQL is not started yet (call server() inside a test)');
      return postgres;
    },
    onCleanup: (cleanup) => void cleanups.push(cleanup),
  };
}
