ALTER TABLE `ingest_log` ADD `body` blob;--> statement-breakpoint
ALTER TABLE `ingest_log` ADD `capture` text;