import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/libsql/migrator";
import { projectRoot } from "../project-root";
import type { Database } from "./client";

/** The committed drizzle-kit output, found from the project root so any working directory will do. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("migrations", projectRoot()));

/**
 * Brings a database up to the committed migrations. The one migration path
 * for development, tests and `npm run db:migrate`; safe to run repeatedly.
 *
 * @example
 * await migrateDatabase(openNodeDatabase({ url: "file:.data/dev.db" }));
 */
export async function migrateDatabase(db: Database): Promise<void> {
  if (db.$client.protocol === "file") {
    // Readers stop blocking the writer; the setting lives in the file, so once is enough.
    await db.$client.execute("PRAGMA journal_mode = WAL");
  }
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
}
