CREATE INDEX `clients_list_idx` ON `clients` (`financial_entity_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `clients_list_email_idx` ON `clients` (`financial_entity_id`,lower("email"),`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `leads_list_idx` ON `leads` (`ecosystem_id`,`financial_entity_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `leads_list_status_idx` ON `leads` (`ecosystem_id`,`financial_entity_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `leads_list_nit_idx` ON `leads` (`ecosystem_id`,`nit_key`,`financial_entity_id`,`created_at`,`id`);