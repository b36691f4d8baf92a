DROP INDEX `events_success_call_person_timestamp`;--> statement-breakpoint
DROP INDEX `events_api_call_summary`;--> statement-breakpoint
DROP INDEX `events_event_person_timestamp`;--> statement-breakpoint
CREATE INDEX `events_event_person_timestamp` ON `events` (`event`,`person_id`,`timestamp`) WHERE event <> 'api_call';--> statement-breakpoint
CREATE TABLE `__new_api_call_rollups` (
	`span` integer NOT NULL,
	`bucket_start` integer NOT NULL,
	`endpoint` text NOT NULL,
	`method` text NOT NULL,
	`status` real NOT NULL,
	`code` text NOT NULL,
	`flags` integer NOT NULL,
	`calls` integer NOT NULL,
	`sketch` blob NOT NULL,
	PRIMARY KEY(`span`, `bucket_start`, `endpoint`, `method`, `status`, `code`, `flags`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_api_call_rollups` (`span`, `bucket_start`, `endpoint`, `method`, `status`, `code`, `flags`, `calls`, `sketch`)
SELECT `span`, `bucket_start`, `endpoint`, `method`, `status`, `code`, `flags`, `calls`, `sketch` FROM `api_call_rollups`;
--> statement-breakpoint
DROP TABLE `api_call_rollups`;
--> statement-breakpoint
ALTER TABLE `__new_api_call_rollups` RENAME TO `api_call_rollups`;
