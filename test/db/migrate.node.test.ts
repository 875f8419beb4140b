import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { migrate } from "drizzle-orm/libsql/migrator";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import { openNodeDatabase } from "../../src/db/client-node";
import { MIGRATIONS_FOLDER, migrateDatabase } from "../../src/db/migrate";
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
        "api_keys",
        "clients",
        "ecosystems",
        "financial_entities",
        "lead_conversions",
        "leads",
        "webhook_attempts",
        "webhook_deliveries",
        "webhook_endpoints",
        "webhook_events",
      ]);
    } finally {
      database.close();
    }
  });
});

/** A database migrated only up to `tag` (inclusive), as one deployed before the later migrations. */
async function databaseAt(tag: string) {
  const dir = mkdtempSync(join(tmpdir(), "migrations-at-"));
  const folder = join(dir, "migrations");
  cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  journal.entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === tag) + 1);
  writeFileSync(journalPath, JSON.stringify(journal));
  const db = openNodeDatabase({ url: `file:${join(dir, "test.db")}` });
  await migrate(db, { migrationsFolder: folder });
  return { db, close: () => (db.$client.close(), rmSync(dir, { recursive: true, force: true })) };
}

async function rows(db: Database, sql: string, args: string[] = []) {
  return (await db.$client.execute({ sql, args })).rows.map((r) => ({ ...r }));
}

describe("the NIT key migration (0001_nit_key) and the key backfill", () => {
  it("recomputes every stored key with the new rule and reports, by id only, clients that now collide", async () => {
    const { db, close } = await databaseAt("0000_init");
    try {
      const ecosystem = crypto.randomUUID();
      const entity = crypto.randomUUID();
      const [first, twin, other, lead] = [
        crypto.randomUUID(),
        crypto.randomUUID(),
        crypto.randomUUID(),
        crypto.randomUUID(),
      ];
      await db.$client.batch([
        { sql: "insert into ecosystems (id, name) values (?, 'Eco')", args: [ecosystem] },
        {
          sql: "insert into financial_entities (id, ecosystem_id, name) values (?, ?, 'Fintech')",
          args: [entity, ecosystem],
        },
        // Distinct under the old rule (spaces, dots and hyphens only); one NIT under the spec's key.
        {
          sql: "insert into clients (id, financial_entity_id, ecosystem_id, nit, created_at) values (?, ?, ?, '900.123.456-7', '2026-01-01T00:00:00.000Z')",
          args: [first, entity, ecosystem],
        },
        {
          sql: "insert into clients (id, financial_entity_id, ecosystem_id, nit, created_at) values (?, ?, ?, '900\u00a0123\u00a0456\u00a07', '2026-02-01T00:00:00.000Z')",
          args: [twin, entity, ecosystem],
        },
        {
          sql: "insert into clients (id, financial_entity_id, ecosystem_id, nit) values (?, ?, ?, null)",
          args: [other, entity, ecosystem],
        },
        {
          sql: "insert into leads (id, ecosystem_id, nit) values (?, ?, '\uff19\uff10\uff10 ñ')",
          args: [lead, ecosystem],
        },
      ]);
      const warnings: string[] = [];

      const report = await migrateDatabase(db, { warn: (message) => warnings.push(message) });

      expect(await rows(db, "select id, nit_key from leads")).toEqual([{ id: lead, nit_key: "900Ñ" }]);
      expect(await rows(db, "select id, nit_key from clients order by created_at, id")).toEqual(
        expect.arrayContaining([
          { id: first, nit_key: "9001234567" },
          { id: twin, nit_key: null },
          { id: other, nit_key: "" },
        ]),
      );
      expect(report.collisions).toEqual([{ financialEntityId: entity, keptId: first, unkeyedId: twin }]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(first);
      expect(warnings[0]).toContain(twin);
      expect(warnings[0]).toContain(entity);
      for (const nit of ["900.123.456-7", "9001234567", "\u00a0"]) expect(warnings[0]).not.toContain(nit);

      // Unresolved, the collision is reported again by every later run; once corrected, the client is keyed.
      const again: string[] = [];
      expect((await migrateDatabase(db, { warn: (m) => again.push(m) })).collisions).toHaveLength(1);
      expect(again).toEqual(warnings);
      await db.$client.execute({ sql: "update clients set nit = '800 1' where id = ?", args: [twin] });
      expect((await migrateDatabase(db, { warn: () => {} })).collisions).toEqual([]);
      expect(await rows(db, "select nit_key from clients where id = ?", [twin])).toEqual([{ nit_key: "8001" }]);
    } finally {
      close();
    }
  });

  it("keys rows another tool wrote without a key on the next run", async () => {
    const database = await createTestDatabase();
    try {
      const ecosystem = crypto.randomUUID();
      const lead = crypto.randomUUID();
      await database.db.$client.batch([
        { sql: "insert into ecosystems (id, name) values (?, 'Eco')", args: [ecosystem] },
        { sql: "insert into leads (id, ecosystem_id, nit) values (?, ?, 'ab\u2011c')", args: [lead, ecosystem] },
      ]);

      expect((await migrateDatabase(database.db, { warn: () => {} })).leads).toBe(1);
      expect(await rows(database.db, "select nit_key from leads where id = ?", [lead])).toEqual([{ nit_key: "ABC" }]);
    } finally {
      database.close();
    }
  });
});
