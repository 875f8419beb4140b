import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/libsql/migrator";
import { projectRoot } from "../project-root";
import type { Database } from "./client";
import { describeNitKeyCollision, keyNits, type NitKeyBackfill } from "./nit-keys";

/** The committed drizzle-kit output, found from the project root so any working directory will do. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("migrations", projectRoot()));

export interface MigrateOptions {
  /** Where problems the data needs a person for are reported (ids only). Default: `console.warn`. */
  warn?: (message: string) => void;
}

/**
 * Brings a database up to the committed migrations, then runs the step SQL
 * cannot: computing NIT keys ({@link keyNits}) — every key when the rule
 * changed, else those of rows that have none — and reporting, by id, clients
 * whose keys now collide. The one
 * migration path for development, tests and `npm run db:migrate`; safe to run
 * repeatedly.
 *
 * @example
 * await migrateDatabase(openNodeDatabase({ url: "file:.data/dev.db" }));
 */
export async function migrateDatabase(
  db: Database,
  { warn = console.warn }: MigrateOptions = {},
): Promise<NitKeyBackfill> {
  if (db.$client.protocol === "file") {
    // Readers stop blocking the writer; the setting lives in the file, so once is enough.
    await db.$client.execute("PRAGMA journal_mode = WAL");
  }
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  const backfill = await keyNits(db);
  for (const collision of backfill.collisions) warn(describeNitKeyCollision(collision));
  return backfill;
}
