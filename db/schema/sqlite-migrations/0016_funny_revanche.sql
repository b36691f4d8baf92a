CREATE TABLE `person_milestones` (
	`person_id` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`event_id` integer NOT NULL,
	`event` text NOT NULL,
	PRIMARY KEY(`person_id`, `timestamp`, `event_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `person_state_changes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`person_id` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `person_milestones` (`person_id`, `timestamp`, `event_id`, `event`)
SELECT `person_id`, `timestamp`, `id`, `event` FROM `events` WHERE `event` NOT IN ('api_call', '$pageview');
