CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`event` text NOT NULL,
	`distinct_id` text NOT NULL,
	`person_id` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`received_at` integer NOT NULL,
	`properties` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_uuid_unique` ON `events` (`uuid`);--> statement-breakpoint
CREATE INDEX `events_event_timestamp` ON `events` (`event`,`timestamp`);--> statement-breakpoint
CREATE INDEX `events_person_timestamp` ON `events` (`person_id`,`timestamp`);--> statement-breakpoint
CREATE TABLE `person_distinct_ids` (
	`distinct_id` text PRIMARY KEY NOT NULL,
	`person_id` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `persons`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `person_distinct_ids_person` ON `person_distinct_ids` (`person_id`);--> statement-breakpoint
CREATE TABLE `persons` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uuid` text NOT NULL,
	`properties` text DEFAULT '{}' NOT NULL,
	`is_identified` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `persons_uuid_unique` ON `persons` (`uuid`);