CREATE TABLE `person_page_views` (
	`person_id` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`event_id` integer NOT NULL,
	`path` text,
	`title` text,
	PRIMARY KEY(`person_id`, `timestamp`, `event_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `person_page_views` (`person_id`, `timestamp`, `event_id`, `path`, `title`)
SELECT `person_id`, `timestamp`, `id`, `pageview_path`, CASE WHEN json_type(`properties`, '$."title"') = 'text' THEN json_extract(`properties`, '$."title"') END
FROM `events` WHERE `event` = '$pageview';
