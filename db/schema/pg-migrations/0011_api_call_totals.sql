CREATE TABLE "api_call_totals" (
	"span" integer NOT NULL,
	"bucket_start" bigint NOT NULL,
	"calls" bigint NOT NULL,
	"rated" bigint NOT NULL,
	"errors" bigint NOT NULL,
	"server_errors" bigint NOT NULL,
	"status_2xx" bigint NOT NULL,
	"status_3xx" bigint NOT NULL,
	"status_4xx" bigint NOT NULL,
	"status_429" bigint NOT NULL,
	"status_5xx" bigint NOT NULL,
	"sketch" "bytea" NOT NULL,
	CONSTRAINT "api_call_totals_pkey" PRIMARY KEY("span","bucket_start")
);
--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "call_endpoint";--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "call_duration_ms";--> statement-breakpoint
-- Backfill from the endpoint rollups: the same sums as api/analytics/api-traffic/health-summary.ts, frozen here.
INSERT INTO "api_call_totals" ("span", "bucket_start", "calls", "rated", "errors", "server_errors", "status_2xx", "status_3xx", "status_4xx", "status_429", "status_5xx", "sketch")
SELECT "span", "bucket_start", SUM("calls"),
  SUM(CASE WHEN ("flags" & 2) = 0 THEN "calls" ELSE 0 END),
  SUM(CASE WHEN ("flags" & 2) = 0 AND ("status" >= 500 OR ("status" >= 400 AND "status" < 500 AND "status" <> 429)) THEN "calls" ELSE 0 END),
  SUM(CASE WHEN "status" >= 500 AND "status" < 600 THEN "calls" ELSE 0 END),
  SUM(CASE WHEN "status" >= 200 AND "status" < 300 THEN "calls" ELSE 0 END),
  SUM(CASE WHEN "status" >= 300 AND "status" < 400 THEN "calls" ELSE 0 END),
  SUM(CASE WHEN "status" >= 400 AND "status" < 500 AND "status" <> 429 THEN "calls" ELSE 0 END),
  SUM(CASE WHEN "status" = 429 THEN "calls" ELSE 0 END),
  SUM(CASE WHEN "status" >= 500 AND "status" < 600 THEN "calls" ELSE 0 END),
  string_agg("sketch", ''::bytea)
FROM "api_call_rollups" GROUP BY "span", "bucket_start";
