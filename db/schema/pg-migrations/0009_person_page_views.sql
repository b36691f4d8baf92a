CREATE TABLE "person_page_views" (
	"person_id" bigint NOT NULL,
	"timestamp" bigint NOT NULL,
	"event_id" bigint NOT NULL,
	"path" text,
	"title" text,
	CONSTRAINT "person_page_views_pkey" PRIMARY KEY("person_id","timestamp","event_id")
);
--> statement-breakpoint
INSERT INTO "person_page_views" ("person_id", "timestamp", "event_id", "path", "title")
SELECT "person_id", "timestamp", "id", "pageview_path", CASE WHEN jsonb_typeof("properties" -> 'title') = 'string' THEN "properties" ->> 'title' END
FROM "events" WHERE "event" = '$pageview';
