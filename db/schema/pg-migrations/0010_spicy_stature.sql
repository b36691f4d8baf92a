CREATE TABLE "person_last_pages" (
	"person_id" bigint PRIMARY KEY NOT NULL,
	"timestamp" bigint NOT NULL,
	"event_id" bigint NOT NULL,
	"path" text
);
--> statement-breakpoint
CREATE INDEX "person_last_pages_event_id" ON "person_last_pages" USING btree ("event_id");
--> statement-breakpoint
INSERT INTO "person_last_pages" ("person_id", "timestamp", "event_id", "path")
SELECT e."person_id", e."timestamp", e."id", e."pageview_path" FROM "events" e
WHERE e."event" = '$pageview' AND e."event" <> 'api_call'
  AND NOT EXISTS (SELECT 1 FROM "events" l WHERE l."event" = '$pageview' AND l."event" <> 'api_call' AND l."person_id" = e."person_id"
    AND (l."timestamp" > e."timestamp" OR (l."timestamp" = e."timestamp" AND l."id" > e."id")));
