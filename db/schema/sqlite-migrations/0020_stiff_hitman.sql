ALTER TABLE `ingest_log` ADD `partitions` integer DEFAULT -1 NOT NULL;--> statement-breakpoint
ALTER TABLE `ingest_log` ADD `links` integer DEFAULT 1 NOT NULL;