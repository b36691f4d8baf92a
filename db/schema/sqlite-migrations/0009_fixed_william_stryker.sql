CREATE TABLE `ingest_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_count` integer NOT NULL,
	`events` text NOT NULL,
	`logged_at` integer NOT NULL,
	`error` text
);
