import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@libsql/client";
import { createDatabase, type Database } from "../../src/db/client";
import { openNodeDatabase } from "../../src/db/client-node";
import { migrateDatabase } from "../../src/db/migrate";

export interface TestDatabase {
  db: Database;
  url: string;
  dir: string;
  close(): void;
}

/** A fresh embedded libSQL file in its own temp folder, with the real migrations applied. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "lead-conversion-"));
  const url = `file:${join(dir, "test.db")}`;
  const db = openNodeDatabase({ url });
  await migrateDatabase(db);
  return {
    db,
    url,
    dir,
    close() {
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const CLIENT_CALLS = new Set(["execute", "batch", "transaction", "executeMultiple", "migrate"]);

/**
 * The same database seen through a client that counts every call made to
 * it: each call is one round trip to a remote database.
 */
export function countingDatabase(client: Client): { db: Database; calls(): number; reset(): void } {
  let calls = 0;
  const counted = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (!CLIENT_CALLS.has(String(property))) return value.bind(target);
      return (...args: unknown[]) => {
        calls += 1;
        return value.apply(target, args);
      };
    },
  });
  return { db: createDatabase(counted), calls: () => calls, reset: () => void (calls = 0) };
}
