CREATE TABLE `clients` (
	`id` text PRIMARY KEY NOT NULL,
	`financial_entity_id` text NOT NULL,
	`ecosystem_id` text NOT NULL,
	`lead_id` text,
	`image` text,
	`name` text,
	`lastname` text,
	`business_name` text,
	`quota` real,
	`phone` text,
	`email` text,
	`nit` text,
	`address` text,
	`score` real,
	`business_entity` text,
	`status` text DEFAULT 'active' NOT NULL,
	`history` text DEFAULT '[]' NOT NULL,
	`payment_data` text DEFAULT '{}' NOT NULL,
	`apn_token` text DEFAULT '' NOT NULL,
	`additional_data` text DEFAULT '{}' NOT NULL,
	`nit_key` text GENERATED ALWAYS AS (lower(replace(replace(replace("nit", ' ', ''), '.', ''), '-', ''))) VIRTUAL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`ecosystem_id`) REFERENCES `ecosystems`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`financial_entity_id`,`ecosystem_id`) REFERENCES `financial_entities`(`id`,`ecosystem_id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clients_lead_uq` ON `clients` (`lead_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `clients_entity_nit_uq` ON `clients` (`financial_entity_id`,`nit_key`) WHERE "clients"."nit_key" <> '';--> statement-breakpoint
CREATE TABLE `ecosystems` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `financial_entities` (
	`id` text PRIMARY KEY NOT NULL,
	`ecosystem_id` text NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`ecosystem_id`) REFERENCES `ecosystems`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "financial_entities_status_ck" CHECK("financial_entities"."status" in ('active', 'suspended'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `financial_entities_id_ecosystem_uq` ON `financial_entities` (`id`,`ecosystem_id`);--> statement-breakpoint
CREATE INDEX `financial_entities_ecosystem_idx` ON `financial_entities` (`ecosystem_id`);--> statement-breakpoint
CREATE TABLE `lead_conversions` (
	`id` text PRIMARY KEY NOT NULL,
	`lead_id` text NOT NULL,
	`client_id` text NOT NULL,
	`financial_entity_id` text NOT NULL,
	`subject` text NOT NULL,
	`request_id` text NOT NULL,
	`converted_at` text NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`financial_entity_id`) REFERENCES `financial_entities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `lead_conversions_lead_uq` ON `lead_conversions` (`lead_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `lead_conversions_client_uq` ON `lead_conversions` (`client_id`);--> statement-breakpoint
CREATE INDEX `lead_conversions_entity_idx` ON `lead_conversions` (`financial_entity_id`);--> statement-breakpoint
CREATE TABLE `leads` (
	`id` text PRIMARY KEY NOT NULL,
	`ecosystem_id` text NOT NULL,
	`financial_entity_id` text,
	`image` text,
	`name` text,
	`lastname` text,
	`business_name` text,
	`quota` real,
	`phone` text,
	`email` text,
	`nit` text,
	`address` text,
	`score` real,
	`business_entity` text,
	`status` text DEFAULT 'new' NOT NULL,
	`history` text,
	`payment_data` text,
	`apn_token` text,
	`additional_data` text,
	`converted_client_id` text,
	`converted_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`ecosystem_id`) REFERENCES `ecosystems`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`converted_client_id`) REFERENCES `clients`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`financial_entity_id`,`ecosystem_id`) REFERENCES `financial_entities`(`id`,`ecosystem_id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "leads_conversion_ck" CHECK(("leads"."converted_client_id" is null) = ("leads"."converted_at" is null))
);
--> statement-breakpoint
CREATE INDEX `leads_ecosystem_idx` ON `leads` (`ecosystem_id`);--> statement-breakpoint
CREATE INDEX `leads_financial_entity_idx` ON `leads` (`financial_entity_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `leads_converted_client_uq` ON `leads` (`converted_client_id`);