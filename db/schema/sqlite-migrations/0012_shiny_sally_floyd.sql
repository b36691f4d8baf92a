CREATE TABLE `api_call_rollups` (
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
);
--> statement-breakpoint
CREATE TABLE `first_call_failures` (
	`person_id` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`code` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `first_call_failures_person` ON `first_call_failures` (`person_id`,`timestamp`);--> statement-breakpoint
CREATE INDEX `first_call_failures_timestamp` ON `first_call_failures` (`timestamp`,`code`);--> statement-breakpoint
CREATE TABLE `person_call_facts` (
	`person_id` integer PRIMARY KEY NOT NULL,
	`first_call_at` integer NOT NULL,
	`first_success_at` integer,
	`failures` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `person_call_facts_first_success` ON `person_call_facts` (`first_success_at`,`person_id`);