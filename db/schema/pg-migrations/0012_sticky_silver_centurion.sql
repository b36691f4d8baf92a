ALTER TABLE "ingest_log" ADD COLUMN "partitions" integer DEFAULT -1 NOT NULL;--> statement-breakpoint
ALTER TABLE "ingest_log" ADD COLUMN "links" integer DEFAULT 1 NOT NULL;