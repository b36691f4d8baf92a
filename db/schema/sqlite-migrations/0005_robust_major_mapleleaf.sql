CREATE TABLE `alert_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rule_id` text NOT NULL,
	`condition` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`response_status` integer,
	`error` text,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`rule_id`) REFERENCES `alert_rules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alert_deliveries_rule` ON `alert_deliveries` (`rule_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`steps` text NOT NULL,
	`window` text NOT NULL,
	`range` text NOT NULL,
	`interval` text NOT NULL,
	`trigger_kind` text NOT NULL,
	`threshold` real,
	`trigger_step` integer,
	`webhook_url` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`active_conditions` text DEFAULT '[]' NOT NULL,
	`next_run_at` integer NOT NULL,
	`last_run_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_rules_due` ON `alert_rules` (`enabled`,`next_run_at`);