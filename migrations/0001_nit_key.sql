-- The NIT key becomes a stored column written by the application (NFKC cannot be computed in SQL).
-- Every key is NULL after this migration; the migrate runner (src/db/migrate.ts) computes them.
DROP INDEX `clients_entity_nit_uq`;--> statement-breakpoint
ALTER TABLE `clients` DROP COLUMN `nit_key`;--> statement-breakpoint
ALTER TABLE `clients` ADD `nit_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `clients_entity_nit_uq` ON `clients` (`financial_entity_id`,`nit_key`) WHERE "clients"."nit_key" <> '';--> statement-breakpoint
ALTER TABLE `leads` ADD `nit_key` text;
