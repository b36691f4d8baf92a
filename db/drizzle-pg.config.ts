import { defineConfig } from 'drizzle-kit';

/** drizzle-kit config of the PostgreSQL dialect (`npm run db:generate:pg`); db/drizzle.config.ts is SQLite's. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema/pg.ts',
  out: './db/schema/pg-migrations',
});
