-- Rows of events (written by earlier versions for in-process writes) become rows of requests as received: one JSON
-- request per event, which revalidates to exactly that event (numeric timestamp, no sent_at, its own receive time).
UPDATE `ingest_log` SET (`body`, `capture`) = (
  SELECT COALESCE(CAST(group_concat(r.body, '' ORDER BY r.n) AS BLOB), X''),
         COALESCE(json_group_array(json_object('meta', json('{"contentType":"application/json"}'), 'receivedAt', r.received_at, 'projectToken', '', 'bytes', length(CAST(r.body AS BLOB))) ORDER BY r.n), '[]')
    FROM (SELECT e.key AS n, e.value ->> 4 AS received_at,
                 json_object('batch', json_array(json_object('uuid', e.value ->> 0, 'event', e.value ->> 1, 'distinct_id', e.value ->> 2, 'timestamp', e.value ->> 3, 'properties', e.value -> 5))) AS body
            FROM json_each(`ingest_log`.`events`) e) r)
 WHERE `body` IS NULL AND json_valid(`events`) AND json_type(`events`) = 'array';--> statement-breakpoint
-- A row that is not a list of events keeps its text in `body` and is set aside when applied, never dropped.
UPDATE `ingest_log` SET `body` = CAST(`events` AS BLOB), `capture` = '[]' WHERE `body` IS NULL;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_ingest_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_count` integer NOT NULL,
	`logged_at` integer NOT NULL,
	`error` text,
	`body` blob NOT NULL,
	`capture` text NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_ingest_log`("id", "event_count", "logged_at", "error", "body", "capture") SELECT "id", "event_count", "logged_at", "error", "body", "capture" FROM `ingest_log`;--> statement-breakpoint
DROP TABLE `ingest_log`;--> statement-breakpoint
ALTER TABLE `__new_ingest_log` RENAME TO `ingest_log`;--> statement-breakpoint
PRAGMA foreign_keys=ON;