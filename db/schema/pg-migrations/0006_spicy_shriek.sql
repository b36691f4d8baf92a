DROP INDEX "events_success_call_person_timestamp";--> statement-breakpoint
DROP INDEX "events_api_call_summary";