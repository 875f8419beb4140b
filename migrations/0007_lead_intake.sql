ALTER TABLE `leads` ADD `external_id` text;--> statement-breakpoint
ALTER TABLE `leads` ADD `created_by` text REFERENCES financial_entities(id);--> statement-breakpoint
ALTER TABLE `leads` ADD `create_digest` text;--> statement-breakpoint
ALTER TABLE `leads` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `leads` ADD `updated_at` text;--> statement-breakpoint
CREATE UNIQUE INDEX `leads_created_by_external_id_uq` ON `leads` (`created_by`,`external_id`) WHERE "leads"."external_id" is not null;--> statement-breakpoint
-- Every change to a lead, by this service or any other writer, gives it a new version: its ETag changes with it.
-- A writer that sets the version itself (PATCH /leads/{id}) is left alone.
CREATE TRIGGER `leads_version_bump` AFTER UPDATE ON `leads` FOR EACH ROW WHEN NEW.`version` = OLD.`version`
BEGIN
  UPDATE `leads` SET `version` = OLD.`version` + 1 WHERE `id` = NEW.`id`;
END;

