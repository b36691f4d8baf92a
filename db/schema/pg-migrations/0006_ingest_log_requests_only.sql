-- Rows of events (written by earlier versions for in-process writes) become rows of requests as received: one JSON
-- request per event, which revalidates to exactly that event (numeric timestamp, no sent_at, its own receive time).
-- A row that is not a list of events keeps its text in `body` and is set aside when applied, never dropped.
DO $$
DECLARE
  row_id bigint;
BEGIN
  FOR row_id IN SELECT "id" FROM "ingest_log" WHERE "body" IS NULL LOOP
    BEGIN
      UPDATE "ingest_log" l
         SET "body" = convert_to(COALESCE(c.body, ''), 'UTF8'), "capture" = COALESCE(c.capture, '[]')
        FROM (SELECT string_agg(r.body, '' ORDER BY r.n) AS body,
                     json_agg(json_build_object('meta', json_build_object('contentType', 'application/json'), 'receivedAt', r.received_at,
                                                'projectToken', '', 'bytes', octet_length(convert_to(r.body, 'UTF8'))) ORDER BY r.n)::text AS capture
                FROM (SELECT e.n, (e.value ->> 4)::bigint AS received_at,
                             json_build_object('batch', json_build_array(json_build_object('uuid', e.value ->> 0, 'event', e.value ->> 1,
                               'distinct_id', e.value ->> 2, 'timestamp', e.value -> 3, 'properties', e.value -> 5)))::text AS body
                        FROM "ingest_log" src, json_array_elements(src."events"::json) WITH ORDINALITY AS e(value, n)
                       WHERE src."id" = row_id) r) c
       WHERE l."id" = row_id;
    EXCEPTION WHEN others THEN
      UPDATE "ingest_log" SET "body" = convert_to("events", 'UTF8'), "capture" = '[]' WHERE "id" = row_id;
    END;
  END LOOP;
END $$;--> statement-breakpoint
ALTER TABLE "ingest_log" ALTER COLUMN "body" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "ingest_log" ALTER COLUMN "capture" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "ingest_log" DROP COLUMN "events";