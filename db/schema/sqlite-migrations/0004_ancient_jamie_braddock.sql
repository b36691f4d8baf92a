CREATE TABLE `import_checkpoints` (
	`file_hash` text PRIMARY KEY NOT NULL,
	`path` text NOT NULL,
	`format` text NOT NULL,
	`columns` text,
	`byte_offset` integer NOT NULL,
	`line` integer NOT NULL,
	`imported` integer DEFAULT 0 NOT NULL,
	`duplicates` integer DEFAULT 0 NOT NULL,
	`rejected` integer DEFAULT 0 NOT NULL,
	`completed_at` integer,
	`updated_at` integer NOT NULL
);
