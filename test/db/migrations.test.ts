import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../../src/db/migrate";
import { createTestDatabase } from "../support/database";

const run = promisify(execFile);
const listing = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort();

describe("migrations", () => {
  it("are in sync with the schema: drizzle-kit generates nothing new", async () => {
    const out = mkdtempSync(join(tmpdir(), "migrations-check-"));
    try {
      cpSync(MIGRATIONS_FOLDER, out, { recursive: true });
      const { stdout } = await run("npx", ["drizzle-kit", "generate"], {
        // drizzle-kit resolves `out` against the working directory, even an absolute one.
        env: { ...process.env, DRIZZLE_OUT: relative(process.cwd(), out) },
      });
      expect(stdout).toContain("No schema changes");
      expect(listing(out)).toEqual(listing(MIGRATIONS_FOLDER));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("apply to an empty database and can be applied again", async () => {
    const database = await createTestDatabase();
    try {
      const { migrateDatabase } = await import("../../src/db/migrate");
      await migrateDatabase(database.db);
      const tables = await database.db.$client.execute(
        "select name from sqlite_master where type = 'table' and name not like '\\_\\_%' escape '\\' and name not like 'sqlite%' order by name",
      );
      expect(tables.rows.map((r) => r.name)).toEqual([
        "clients", "ecosystems", "financial_entities", "lead_conversions", "leads",
        "webhook_attempts", "webhook_deliveries", "webhook_endpoints", "webhook_events",
      ]);
    } finally {
      database.close();
    }
  });
});
