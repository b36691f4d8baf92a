import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { openPgDb } from '../../db/client-pg.ts';
import { startPostgres } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the `postgres` maintenance database of the server the `postgres` project runs on. */
    onrampPgServerUrl: string;
    /** The migrated database every test database of the run is copied from (named per run: servers may be shared). */
    onrampPgTemplate: string;
  }
}

/**
 * Global setup of the `postgres` vitest project: one PostgreSQL server for the whole run (a throwaway local
 * cluster, or TEST_POSTGRES_URL), with a template database migrated from db/schema/pg-migrations once, so each test app
 * gets its own copy in milliseconds instead of migrating.
 */
export default async function setup(project: TestProject) {
  const postgres = await startPostgres();
  const template = `onramp_template_${randomBytes(4).toString('hex')}`;
  const templateUrl = await postgres.createDatabase(template);
  const db = await openPgDb(templateUrl, { poolSize: 1 });
  await db.close();
  project.provide('onrampPgServerUrl', postgres.url);
  project.provide('onrampPgTemplate', template);
  return () => postgres.stop();
}
