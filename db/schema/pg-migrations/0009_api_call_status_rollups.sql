CREATE TABLE "api_call_status_rollups" (
	"span" integer NOT NULL,
	"bucket_start" bigint NOT NULL,
	"status" double precision NOT NULL,
	"flags" integer NOT NULL,
	"calls" bigint NOT NULL,
	"sketch" "bytea" NOT NULL,
	CONSTRAINT "api_call_status_rollups_pkey" PRIMARY KEY("span","bucket_start","status","flags")
);
--> statement-breakpoint
INSERT INTO "api_call_status_rollups" ("span", "bucket_start", "status", "flags", "calls", "sketch")
SELECT "span", "bucket_start", "status", "flags", SUM("calls"), string_agg("sketch", ''::bytea) FROM "api_call_rollups" GROUP BY "span", "bucket_start", "status", "flags";
