DROP INDEX `lead_conversions_client_uq`;--> statement-breakpoint
ALTER TABLE `lead_conversions` ADD `linked` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `lead_conversions_client_idx` ON `lead_conversions` (`client_id`);--> statement-breakpoint
DROP INDEX `leads_converted_client_uq`;--> statement-breakpoint
CREATE INDEX `leads_converted_client_idx` ON `leads` (`converted_client_id`);