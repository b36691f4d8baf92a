ALTER TABLE "events" DROP COLUMN "call_endpoint";--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "call_status";--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "call_duration_ms";