import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshPgDatabaseUrl, ON_POSTGRES } from './pg-test-db.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A free loopback port, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  url: string;
  port: number;
  adminToken: string;
  projectToken: string;
  /** ONRAMP_SERVER_TOKEN it was started with; undefined when it generated its own (`generateServerToken`). */
  serverToken: string | undefined;
  databasePath: string;
  /** The DATABASE_URL it runs on: pass it to `startServer` again to restart on the same data. */
  databaseUrl: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts the real server (`api/server.ts`) as a child process on a temp SQLite file (or the one given), or in the
 * `postgres` vitest project on a fresh PostgreSQL database, and resolves once it prints its URL.
 */
export async function startServer(
  opts: { env?: Record<string, string>; databasePath?: string; databaseUrl?: string; port?: number; generateServerToken?: boolean } = {},
): Promise<RunningServer> {
  const port = opts.port ?? (await freePort());
  const databasePath = opts.databasePath ?? join(mkdtempSync(join(tmpdir(), 'onramp-')), 'onramp.db');
  const databaseUrl = opts.databaseUrl ?? (ON_POSTGRES && !opts.databasePath ? await freshPgDatabaseUrl() : `file:${databasePath}`);
  const adminToken = 'onr_admin_e2e_token_0123456789abcdef';
  const projectToken = 'phc_onramp_local';
  const serverToken = opts.generateServerToken ? undefined : (opts.env?.ONRAMP_SERVER_TOKEN ?? 'onr_server_e2e_token_0123456789abcdef');
  const { ONRAMP_SERVER_TOKEN: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    cwd: root,
    env: {
      ...inherited,
      ...(serverToken ? { ONRAMP_SERVER_TOKEN: serverToken } : {}),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      ONRAMP_ADMIN_TOKEN: adminToken,
      ONRAMP_PROJECT_TOKEN: projectToken,
      ONRAMP_DEMO: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${log}`)), 60_000);
    const onData = () => {
      if (log.includes('Onramp listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${log}`));
    });
  });
  // A server that dies on its own would otherwise surface only as refused connections in whatever test runs next.
  // `child.killed` is true once a test signalled it (stop(), or the crash test's SIGKILL).
  child.once('exit', (code, signal) => {
    if (!child.killed && code !== 0) console.error(`[test server :${port}] exited unexpectedly (code ${code}, signal ${signal}); its output:\n${log}`);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    adminToken: opts.env?.ONRAMP_ADMIN_TOKEN ?? adminToken,
    projectToken: opts.env?.ONRAMP_PROJECT_TOKEN ?? projectToken,
    serverToken,
    databasePath,
    databaseUrl,
    child,
    output: () => log,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}
