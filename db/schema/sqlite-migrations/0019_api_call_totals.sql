CREATE TABLE `api_call_totals` (
	`span` integer NOT NULL,
	`bucket_start` integer NOT NULL,
	`calls` integer NOT NULL,
	`rated` integer NOT NULL,
	`errors` integer NOT NULL,
	`server_errors` integer NOT NULL,
	`status_2xx` integer NOT NULL,
	`status_3xx` integer NOT NULL,
	`status_4xx` integer NOT NULL,
	`status_429` integer NOT NULL,
	`status_5xx` integer NOT NULL,
	`sketch` blob NOT NULL,
	PRIMARY KEY(`span`, `bucket_start`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `events` DROP COLUMN `call_endpoint`;--> statement-breakpoint
ALTER TABLE `events` DROP COLUMN `call_duration_ms`;--> statement-breakpoint
-- Backfill from the endpoint rollups: the same sums as api/analytics/api-traffic/health-summary.ts, frozen here.
INSERT INTO `api_call_totals` (`span`, `bucket_start`, `calls`, `rated`, `errors`, `server_errors`, `status_2xx`, `status_3xx`, `status_4xx`, `status_429`, `status_5xx`, `sketch`)
SELECT `span`, `bucket_start`, SUM(`calls`),
  SUM(CASE WHEN (`flags` & 2) = 0 THEN `calls` ELSE 0 END),
  SUM(CASE WHEN (`flags` & 2) = 0 AND (`status` >= 500 OR (`status` >= 400 AND `status` < 500 AND `status` <> 429)) THEN `calls` ELSE 0 END),
  SUM(CASE WHEN `status` >= 500 AND `status` < 600 THEN `calls` ELSE 0 END),
  SUM(CASE WHEN `status` >= 200 AND `status` < 300 THEN `calls` ELSE 0 END),
  SUM(CASE WHEN `status` >= 300 AND `status` < 400 THEN `calls` ELSE 0 END),
  SUM(CASE WHEN `status` >= 400 AND `status` < 500 AND `status` <> 429 THEN `calls` ELSE 0 END),
  SUM(CASE WHEN `status` = 429 THEN `calls` ELSE 0 END),
  SUM(CASE WHEN `status` >= 500 AND `status` < 600 THEN `calls` ELSE 0 END),
  CAST(group_concat(`sketch`, '') AS BLOB)
FROM `api_call_rollups` GROUP BY `span`, `bucket_start`;
