import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { CALLS_PER_CONNECTION, openEmbeddedClient } from "../../src/db/embedded-client";

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
  return openEmbeddedClient(`file:${path}`, path, 1_000);
}

describe("the embedded client", () => {
  it("creates the database's folder and serves calls across connection replacements", async () => {
    const client = freshClient();
    await client.execute("create table t (n integer)");
    for (let i = 0; i < CALLS_PER_CONNECTION * 2 + 10; i += 1) await client.execute({ sql: "insert into t values (?)", args: [i] });
    const { rows } = await client.execute("select count(*) as n, sum(n) as s from t");
    expect(rows[0]).toMatchObject({ n: CALLS_PER_CONNECTION * 2 + 10 });
    client.close();
  });

  it("runs concurrent calls one at a time, in order, even while replacing its connection", async () => {
    const client = freshClient();
    await client.execute("create table t (n integer)");
    const calls = Array.from({ length: CALLS_PER_CONNECTION + 50 }, (_, i) =>
      client.batch([{ sql: "insert into t values (?)", args: [i] }], "write"),
    );
    await Promise.all(calls);
    const { rows } = await client.execute("select n from t order by rowid");
    expect(rows.map((row) => row.n)).toEqual(Array.from({ length: CALLS_PER_CONNECTION + 50 }, (_, i) => i));
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
      await expect(client.execute("insert into t values (1)")).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_BUSY/) });
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
