CREATE TABLE "api_call_rollups" (
	"span" integer NOT NULL,
	"bucket_start" bigint NOT NULL,
	"endpoint" text NOT NULL,
	"method" text NOT NULL,
	"status" double precision NOT NULL,
	"code" text NOT NULL,
	"flags" integer NOT NULL,
	"calls" bigint NOT NULL,
	"sketch" "bytea" NOT NULL,
	CONSTRAINT "api_call_rollups_pkey" PRIMARY KEY("span","bucket_start","endpoint","method","status","code","flags")
);
--> statement-breakpoint
CREATE TABLE "first_call_failures" (
	"person_id" bigint NOT NULL,
	"timestamp" bigint NOT NULL,
	"code" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "person_call_facts" (
	"person_id" bigint PRIMARY KEY NOT NULL,
	"first_call_at" bigint NOT NULL,
	"first_success_at" bigint,
	"failures" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "first_call_failures_person" ON "first_call_failures" USING btree ("person_id","timestamp");--> statement-breakpoint
CREATE INDEX "first_call_failures_timestamp" ON "first_call_failures" USING btree ("timestamp","code");--> statement-breakpoint
CREATE INDEX "person_call_facts_first_success" ON "person_call_facts" USING btree ("first_success_at","person_id");