import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import Database from "libsql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openEmbeddedClient, reuseStatements, STATEMENTS_KEPT } from "../../src/db/embedded-client";

const CALLS = 600;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshPath() {
  const dir = mkdtempSync(join(tmpdir(), "embedded-"));
  dirs.push(dir);
  return join(dir, "db", "e.db");
}

function freshClient(path = freshPath()) {
  return openEmbeddedClient(path, 1_000);
}

describe("the embedded client", () => {
  it("creates the database's folder and runs the same statements again with new arguments", async () => {
    const client = freshClient();
    await client.execute("create table t (n integer, s text)");
    for (let i = 0; i < CALLS; i += 1) await client.execute({ sql: "insert into t values (?, ?)", args: [i, `#${i}`] });
    const { rows } = await client.execute("select count(*) as n, sum(n) as total, max(s) as last from t");
    expect(rows[0]).toMatchObject({ n: CALLS, total: (CALLS * (CALLS - 1)) / 2, last: "#99" });
    for (const n of [0, 7, CALLS - 1]) {
      expect((await client.execute({ sql: "select s from t where n = ?", args: [n] })).rows).toEqual([
        expect.objectContaining({ s: `#${n}` }),
      ]);
    }
    client.close();
  });

  it("compiles each SQL text once per connection, however often it runs", async () => {
    const compile = vi.spyOn(Database.prototype, "prepare");
    try {
      const client = freshClient();
      await client.execute("create table t (n integer)");
      const before = compile.mock.calls.length;
      for (let i = 0; i < 50; i += 1) {
        await client.batch([{ sql: "insert into t values (?)", args: [i] }, "select count(*) from t"], "write");
      }
      const texts = new Set(compile.mock.calls.slice(before).map(([sql]) => sql));
      // BEGIN IMMEDIATE, the two statements, COMMIT: each compiled once.
      expect(compile.mock.calls.length - before).toBe(texts.size);
      expect(texts.size).toBeLessThanOrEqual(4);
      client.close();
    } finally {
      compile.mockRestore();
    }
  });

  it("reads a table's new columns once its schema has changed, however the change was sent", async () => {
    const client = freshClient();
    await client.execute("create table t (a integer)");
    await client.execute("insert into t values (1)");
    const everything = async () => {
      const { columns, rows } = await client.execute("select * from t");
      return { columns, row: { ...rows[0] } };
    };
    expect(await everything()).toEqual({ columns: ["a"], row: { a: 1 } });
    await client.execute("/* a comment first */ alter table t add column b text default 'x'");
    expect(await everything()).toEqual({ columns: ["a", "b"], row: { a: 1, b: "x" } });
    await client.executeMultiple("alter table t add column c integer default 3;");
    expect(await everything()).toEqual({ columns: ["a", "b", "c"], row: { a: 1, b: "x", c: 3 } });
    await client.migrate([{ sql: "alter table t add column d integer default 4", args: [] }]);
    expect(await everything()).toEqual({ columns: ["a", "b", "c", "d"], row: { a: 1, b: "x", c: 3, d: 4 } });
    client.close();
  });

  it("reads a table's new columns after another connection changed its schema", async () => {
    const path = freshPath();
    const client = freshClient(path);
    await client.execute("create table t (a integer)");
    await client.execute("insert into t values (1)");
    expect((await client.execute("select * from t")).columns).toEqual(["a"]);
    const other = createClient({ url: `file:${path}` });
    await other.execute("alter table t add column b text default 'x'");
    other.close();
    await client.execute("select * from t");
    const { columns, rows } = await client.execute("select * from t");
    expect({ columns, row: { ...rows[0] } }).toEqual({ columns: ["a", "b"], row: { a: 1, b: "x" } });
    client.close();
  });

  it("tells statements that return rows from those that do not, on every run", async () => {
    const client = freshClient();
    await client.execute("create table t (n integer primary key)");
    for (let i = 1; i <= 3; i += 1) {
      const inserted = await client.execute({ sql: "insert into t values (?)", args: [i] });
      expect(inserted).toMatchObject({ rowsAffected: 1, columns: [], rows: [] });
      const returned = await client.execute({ sql: "insert into t values (?) returning n", args: [i * 10] });
      expect(returned.columns).toEqual(["n"]);
      expect(returned.rows.map((row) => row.n)).toEqual([i * 10]);
    }
    client.close();
  });

  it("runs concurrent calls one at a time, in order", async () => {
    const client = freshClient();
    await client.execute("create table t (n integer)");
    const calls = Array.from({ length: CALLS }, (_, i) =>
      client.batch([{ sql: "insert into t values (?)", args: [i] }], "write"),
    );
    await Promise.all(calls);
    const { rows } = await client.execute("select n from t order by rowid");
    expect(rows.map((row) => row.n)).toEqual(Array.from({ length: CALLS }, (_, i) => i));
    client.close();
  });

  it("runs a statement again after it failed, and a batch after another batch failed half-way", async () => {
    const client = freshClient();
    await client.execute("create table t (n integer primary key)");
    const insert = (n: number) => ({ sql: "insert into t values (?)", args: [n] });
    await client.batch([insert(1)], "write");
    await expect(client.batch([insert(2), insert(1)], "write")).rejects.toMatchObject({
      code: expect.stringMatching(/^SQLITE_CONSTRAINT/),
    });
    await client.batch([insert(2), insert(3)], "write");
    expect((await client.execute("select n from t order by n")).rows.map((row) => row.n)).toEqual([1, 2, 3]);
    client.close();
  });

  it("keeps failures to the call that failed", async () => {
    const client = freshClient();
    await client.execute("create table t (n integer primary key)");
    await client.execute("insert into t values (1)");
    const results = await Promise.allSettled([
      client.execute("insert into t values (1)"),
      client.execute("insert into t values (2)"),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
    client.close();
  });
});

describe("reuseStatements", () => {
  it("compiles a text once and keeps the most recently used texts", () => {
    const db = reuseStatements(new Database(freshPath().replace("/db/", "/")));
    try {
      const first = db.prepare("select 1");
      expect(db.prepare("select 1")).toBe(first);
      for (let i = 0; i < STATEMENTS_KEPT - 1; i += 1) db.prepare(`select ${i + 2}`);
      // Full now, and "select 1" still kept; as many new texts push it out.
      expect(db.prepare("select 1")).toBe(first);
      for (let i = 0; i < STATEMENTS_KEPT; i += 1) db.prepare(`select ${i + 1_000}`);
      expect(db.prepare("select 1")).not.toBe(first);
      expect(db.prepare("select 1").raw(true).all()).toEqual([[1]]);
    } finally {
      db.close();
    }
  });
});

describe("the embedded client, when another connection holds the write lock", () => {
  it("waits for the lock without blocking the thread, and writes once it is released", async () => {
    const path = freshPath();
    const client = freshClient(path);
    await client.execute("create table t (n integer)");
    const holder = createClient({ url: `file:${path}` });
    const tx = await holder.transaction("write");
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 20);
    setTimeout(() => void tx.rollback(), 300);
    try {
      await client.batch([{ sql: "insert into t values (1)", args: [] }], "write");
      // Blocked, the thread would tick 0 times; a loaded machine delays timers, hence a low bar.
      expect(ticks).toBeGreaterThanOrEqual(3);
      expect((await client.execute("select count(*) as n from t")).rows[0]).toMatchObject({ n: 1 });
    } finally {
      clearInterval(ticker);
      tx.close();
      holder.close();
      client.close();
    }
  });

  it("gives up with SQLITE_BUSY after its lock wait, and serves the next call once the lock is gone", async () => {
    const path = freshPath();
    const client = freshClient(path);
    await client.execute("create table t (n integer)");
    const holder = createClient({ url: `file:${path}` });
    const tx = await holder.transaction("write");
    try {
      const started = performance.now();
      await expect(client.execute("insert into t values (1)")).rejects.toMatchObject({
        code: expect.stringMatching(/^SQLITE_BUSY/),
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
      expect(performance.now() - started).toBeLessThan(1_300);
      await tx.rollback();
      await client.execute("insert into t values (2)");
      expect((await client.execute("select n from t")).rows.map((r) => r.n)).toEqual([2]);
    } finally {
      tx.close();
      holder.close();
      client.close();
    }
  });
});
