/** Which storage engine a `DATABASE_URL` selects. */
export type DatabaseDialect = 'sqlite' | 'postgres';

/** `scheme:` at the start of a URL; two letters at least, so a Windows drive (`C:\...`) reads as a path. */
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/**
 * Picks the dialect from `DATABASE_URL`: `postgres://` / `postgresql://` → PostgreSQL; `file:...`, `:memory:` and
 * bare paths → SQLite. Any other scheme (`mysql://`, `sqlite://`) throws a one-line Error naming DATABASE_URL,
 * rather than being taken for a file name.
 */
export function databaseDialect(databaseUrl: string): DatabaseDialect {
  const scheme = SCHEME.exec(databaseUrl)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') return 'sqlite';
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  throw new Error(
    `Invalid environment variable DATABASE_URL: unsupported scheme "${scheme}:"; use file:<path> (SQLite) or postgres://user@host/db (PostgreSQL)`,
  );
}
