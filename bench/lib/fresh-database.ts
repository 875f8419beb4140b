import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "../../src/db/client";
import { openNodeDatabase } from "../../src/db/client-node";
import { migrateDatabase } from "../../src/db/migrate";

export interface FreshDatabase<T> {
  /** The database's `file:` URL. */
  url: string;
  /** The embedded handle; the caller closes it. */
  db: Database;
  /** What `seed` returned. */
  data: T;
  /** Deletes the database's temporary directory (close `db` first). */
  remove(): void;
}

/**
 * An embedded database in a temporary directory of its own, migrated, with
 * what `seed` writes.
 *
 * @example
 * const { db, data, remove } = await freshDatabase("throughput", (db) => seedBenchData(db, 1_000));
 * db.$client.close();
 * remove();
 */
export async function freshDatabase<T>(name: string, seed: (db: Database) => Promise<T>): Promise<FreshDatabase<T>> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const url = `file:${join(dir, `${name}.db`)}`;
  const db = openNodeDatabase({ url });
  try {
    await migrateDatabase(db);
    return { url, db, data: await seed(db), remove };
  } catch (error) {
    db.$client.close();
    remove();
    throw error;
  }
}
