ALTER TABLE "ingest_log" ADD COLUMN "body" "bytea";--> statement-breakpoint
ALTER TABLE "ingest_log" ADD COLUMN "capture" text;