-- The NIT key rule the stored keys were computed with. Until now every key is the generic rule of 0001 (version 1);
-- the migrate runner (src/db/nit-keys.ts) recomputes them all when the code's rule is newer, then records its version.
CREATE TABLE `nit_key_rule` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	CONSTRAINT "nit_key_rule_one_row" CHECK("nit_key_rule"."id" = 1)
);--> statement-breakpoint
INSERT INTO `nit_key_rule` (`id`, `version`) VALUES (1, 1);
