CREATE TABLE `api_call_status_rollups` (
	`span` integer NOT NULL,
	`bucket_start` integer NOT NULL,
	`status` real NOT NULL,
	`flags` integer NOT NULL,
	`calls` integer NOT NULL,
	`sketch` blob NOT NULL,
	PRIMARY KEY(`span`, `bucket_start`, `status`, `flags`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `api_call_status_rollups` (`span`, `bucket_start`, `status`, `flags`, `calls`, `sketch`)
SELECT `span`, `bucket_start`, `status`, `flags`, SUM(`calls`), CAST(group_concat(`sketch`, '') AS BLOB) FROM `api_call_rollups` GROUP BY `span`, `bucket_start`, `status`, `flags`;
