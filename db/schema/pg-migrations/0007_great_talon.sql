DROP INDEX "events_success_call_person_timestamp";--> statement-breakpoint
DROP INDEX "events_api_call_summary";--> statement-breakpoint
DROP INDEX "events_event_person_timestamp";--> statement-breakpoint
CREATE INDEX "events_event_person_timestamp" ON "events" USING btree ("event","person_id","timestamp") WHERE event <> 'api_call';