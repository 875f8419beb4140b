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
        "nit_key_rule",
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
        // Distinct under the first rule (with and without the DV); one NIT under nit.md's key.
        {
          sql: "insert into clients (id, financial_entity_id, ecosystem_id, nit, created_at) values (?, ?, ?, '900.123.456-8', '2026-01-01T00:00:00.000Z')",
          args: [first, entity, ecosystem],
        },
        {
          sql: "insert into clients (id, financial_entity_id, ecosystem_id, nit, created_at) values (?, ?, ?, '900\u00a0123\u00a0456', '2026-02-01T00:00:00.000Z')",
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
          { id: first, nit_key: "900123456" },
          { id: twin, nit_key: null },
          { id: other, nit_key: "" },
        ]),
      );
      expect(report.collisions).toEqual([{ financialEntityId: entity, keptId: first, unkeyedId: twin }]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(first);
      expect(warnings[0]).toContain(twin);
      expect(warnings[0]).toContain(entity);
      for (const nit of ["900.123.456", "900123456", "\u00a0"]) expect(warnings[0]).not.toContain(nit);

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

describe("a change of the NIT key rule (0006_nit_key_rule)", () => {
  /** A database before 0006_nit_key_rule holding rows keyed by the first rule, as that version of the service wrote them. */
  async function keyedByTheFirstRule() {
    const at = await databaseAt("0005_list_indexes");
    const ecosystem = crypto.randomUUID();
    const entity = crypto.randomUUID();
    const ids = {
      withDv: crypto.randomUUID(),
      withoutDv: crypto.randomUUID(),
      prefixed: crypto.randomUUID(),
      cedula: crypto.randomUUID(),
      noNit: crypto.randomUUID(),
      lead: crypto.randomUUID(),
      foreignLead: crypto.randomUUID(),
    };
    const client = (id: string, nit: string | null, key: string, createdAt: string) => ({
      sql: "insert into clients (id, financial_entity_id, ecosystem_id, nit, nit_key, created_at) values (?, ?, ?, ?, ?, ?)",
      args: [id, entity, ecosystem, nit, key, createdAt],
    });
    await at.db.$client.batch([
      { sql: "insert into ecosystems (id, name) values (?, 'Eco')", args: [ecosystem] },
      {
        sql: "insert into financial_entities (id, ecosystem_id, name) values (?, ?, 'Fintech')",
        args: [entity, ecosystem],
      },
      // The older client held "9001234568", the newer "900123456": one party under nit.md, and the older keeps the key.
      client(ids.withDv, "900.123.456-8", "9001234568", "2026-01-01T00:00:00.000Z"),
      client(ids.withoutDv, "900123456", "900123456", "2026-02-01T00:00:00.000Z"),
      client(ids.prefixed, "NIT 860.034.313-7", "NIT8600343137", "2026-03-01T00:00:00.000Z"),
      client(ids.cedula, "9001234568", "9001234568x", "2026-04-01T00:00:00.000Z"),
      client(ids.noNit, null, "", "2026-05-01T00:00:00.000Z"),
      {
        sql: "insert into leads (id, ecosystem_id, nit, nit_key) values (?, ?, '900 123 456 - 8', '9001234568')",
        args: [ids.lead, ecosystem],
      },
      {
        sql: "insert into leads (id, ecosystem_id, nit, nit_key) values (?, ?, 'CC 80.123.456', 'CC80123456')",
        args: [ids.foreignLead, ecosystem],
      },
    ]);
    // The cédula's first-rule key is made up ("x") so the test sees it recomputed: "9001234568" was already right.
    return { ...at, entity, ids };
  }

  it("recomputes every stored key once, the older of two colliding clients keeping the key, reported by id only", async () => {
    const { db, close, entity, ids } = await keyedByTheFirstRule();
    try {
      const warnings: string[] = [];

      const report = await migrateDatabase(db, { warn: (message) => warnings.push(message) });

      expect(await rows(db, "select id, nit_key from leads order by id")).toEqual(
        [
          { id: ids.lead, nit_key: "900123456" },
          { id: ids.foreignLead, nit_key: "CC80123456" },
        ].sort((a, b) => a.id.localeCompare(b.id)),
      );
      expect(await rows(db, "select id, nit_key from clients order by created_at")).toEqual([
        { id: ids.withDv, nit_key: "900123456" },
        { id: ids.withoutDv, nit_key: null },
        { id: ids.prefixed, nit_key: "860034313" },
        { id: ids.cedula, nit_key: "9001234568" },
        { id: ids.noNit, nit_key: "" },
      ]);
      expect(report).toEqual({
        leads: 1,
        clients: 4,
        collisions: [{ financialEntityId: entity, keptId: ids.withDv, unkeyedId: ids.withoutDv }],
      });
      expect(await rows(db, "select id, version from nit_key_rule")).toEqual([{ id: 1, version: 2 }]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(ids.withDv);
      expect(warnings[0]).toContain(ids.withoutDv);
      for (const nit of ["900123456", "900.123.456", "9001234568", "860034313", "8600343137"])
        expect(warnings[0]).not.toContain(nit);
    } finally {
      close();
    }
  });

  it("is safe to run twice: the second run changes nothing and reports the standing collision again", async () => {
    const { db, close, ids } = await keyedByTheFirstRule();
    try {
      const first = await migrateDatabase(db, { warn: () => {} });
      const keys = await rows(db, "select id, nit_key from clients order by id");

      const second = await migrateDatabase(db, { warn: () => {} });
      expect(second).toEqual({ leads: 0, clients: 0, collisions: first.collisions });
      expect(await rows(db, "select id, nit_key from clients order by id")).toEqual(keys);

      // Interrupted before the rule's version was recorded, a run recomputes everything again, to the same keys.
      await db.$client.execute("update nit_key_rule set version = 1");
      expect(await migrateDatabase(db, { warn: () => {} })).toEqual(second);
      expect(await rows(db, "select id, nit_key from clients order by id")).toEqual(keys);

      // Once the NIT is corrected, the client is keyed.
      await db.$client.execute({ sql: "update clients set nit = '890.903.938-8' where id = ?", args: [ids.withoutDv] });
      expect(await migrateDatabase(db, { warn: () => {} })).toEqual({ leads: 0, clients: 1, collisions: [] });
      expect(await rows(db, "select nit_key from clients where id = ?", [ids.withoutDv])).toEqual([
        { nit_key: "890903938" },
      ]);
    } finally {
      close();
    }
  });

  it("keys a client another tool stored with a wrong DV and no key by its base number", async () => {
    const database = await createTestDatabase();
    try {
      const ecosystem = crypto.randomUUID();
      const entity = crypto.randomUUID();
      const client = crypto.randomUUID();
      await database.db.$client.batch([
        { sql: "insert into ecosystems (id, name) values (?, 'Eco')", args: [ecosystem] },
        {
          sql: "insert into financial_entities (id, ecosystem_id, name) values (?, ?, 'F')",
          args: [entity, ecosystem],
        },
        {
          sql: "insert into clients (id, financial_entity_id, ecosystem_id, nit) values (?, ?, ?, '900.123.456-7')",
          args: [client, entity, ecosystem],
        },
      ]);

      expect((await migrateDatabase(database.db, { warn: () => {} })).clients).toBe(1);
      expect(await rows(database.db, "select nit, nit_key from clients where id = ?", [client])).toEqual([
        { nit: "900.123.456-7", nit_key: "900123456" },
      ]);
    } finally {
      database.close();
    }
  });
});
