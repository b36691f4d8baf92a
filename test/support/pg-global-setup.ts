import type { TestProject } from 'vitest/node';
import { openPgDb } from '../../db/client-pg.ts';
import { startPostgres } from './postgres.ts';

/** Name of the migrated database every test database of the `postgres` project is copied from. */
export const TEMPLATE_DATABASE = 'onramp_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the `postgres` maintenance database of the server the `postgres` project runs on. */
    onrampPgServerUrl: string;
  }
}

/**
 * Global setup of the `postgres` vitest project: one PostgreSQL server for the whole run (a throwaway local
 * cluster, or TEST_POSTGRES_URL), with a template database migrated from db/migrations-pg once, so each test app
 * gets its own copy in milliseconds instead of migrating.
 */
export default async function setup(project: TestProject) {
  const postgres = await startPostgres();
  const templateUrl = await postgres.createDatabase(TEMPLATE_DATABASE);
  const db = await openPgDb(templateUrl, { poolSize: 1 });
  await db.close();
  project.provide('onrampPgServerUrl', postgres.url);
  return () => postgres.stop();
}
