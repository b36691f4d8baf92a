PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`steps` text NOT NULL,
	`window` text NOT NULL,
	`range` text NOT NULL,
	`interval` text NOT NULL,
	`trigger_kind` text NOT NULL,
	`threshold` real,
	`trigger_step` integer,
	`webhook_url` text,
	`enabled` integer DEFAULT true NOT NULL,
	`active_conditions` text DEFAULT '[]' NOT NULL,
	`next_run_at` integer NOT NULL,
	`last_run_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_alert_rules`("id", "name", "steps", "window", "range", "interval", "trigger_kind", "threshold", "trigger_step", "webhook_url", "enabled", "active_conditions", "next_run_at", "last_run_at", "created_at", "updated_at") SELECT "id", "name", "steps", "window", "range", "interval", "trigger_kind", "threshold", "trigger_step", "webhook_url", "enabled", "active_conditions", "next_run_at", "last_run_at", "created_at", "updated_at" FROM `alert_rules`;--> statement-breakpoint
DROP TABLE `alert_rules`;--> statement-breakpoint
ALTER TABLE `__new_alert_rules` RENAME TO `alert_rules`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `alert_rules_due` ON `alert_rules` (`enabled`,`next_run_at`);