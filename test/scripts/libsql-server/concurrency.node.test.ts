import { setTimeout as sleep } from "node:timers/promises";
import { LibsqlError } from "@libsql/client/web";
import { describe, expect, it, onTestFinished } from "vitest";
import { startLibsqlServer } from "../../../scripts/libsql-server/server";
import { createTable, useLibsqlServer } from "./fixture";

const fixture = useLibsqlServer();
const { newClient } = fixture;

describe("concurrent streams", () => {
  it("keeps two write transactions that run at once from interleaving", async () => {
    const client = newClient();
    const table = await createTable(client, "id INTEGER PRIMARY KEY, writer TEXT");

    async function writeThreeRows(writer: string) {
      const transaction = await client.transaction("write");
      for (let i = 0; i < 3; i += 1) {
        await transaction.execute({ sql: `INSERT INTO ${table} (writer) VALUES (?)`, args: [writer] });
        await sleep(20);
      }
      await transaction.commit();
    }
    await Promise.all([writeThreeRows("a"), writeThreeRows("b")]);

    const result = await client.execute(`SELECT writer FROM ${table} ORDER BY id`);
    expect(result.rows.map((row) => row.writer).join("")).toMatch(/^(aaabbb|bbbaaa)$/);
  });

  it("lets readers see the last committed data while a write transaction is open", async () => {
    const client = newClient();
    const table = await createTable(client, "n INTEGER");
    await client.execute(`INSERT INTO ${table} VALUES (1)`);

    const transaction = await client.transaction("write");
    await transaction.execute(`UPDATE ${table} SET n = 2`);
    const duringTransaction = await client.execute(`SELECT n FROM ${table}`);
    await transaction.commit();

    expect(duringTransaction.rows[0]?.n).toBe(1);
  });

  it("runs many concurrent batches to success, waiting out a transaction that holds the write lock", async () => {
    const client = newClient();
    const table = await createTable(client, "id INTEGER PRIMARY KEY, batch INTEGER");
    const holder = await client.transaction("write");
    await holder.execute(`INSERT INTO ${table} (batch) VALUES (-1)`);

    const batches = Array.from({ length: 40 }, (_, batch) =>
      client.batch(
        [
          { sql: `INSERT INTO ${table} (batch) VALUES (?)`, args: [batch] },
          { sql: `INSERT INTO ${table} (batch) VALUES (?)`, args: [batch] },
        ],
        "write",
      ),
    );
    await sleep(100);
    await holder.commit();
    const outcomes = await Promise.allSettled(batches);

    expect(outcomes.filter((outcome) => outcome.status === "rejected")).toEqual([]);
    const count = await client.execute(`SELECT count(*) AS n, count(DISTINCT batch) AS batches FROM ${table}`);
    expect({ ...count.rows[0] }).toEqual({ n: 81, batches: 41 });
  });

  it("gives up with SQLITE_BUSY once a lock has been held longer than the busy wait", async () => {
    const impatient = await startLibsqlServer({ dbPath: fixture.dbPath, busyWaitMs: 200 });
    onTestFinished(() => impatient.close());
    const client = newClient(impatient.url);
    const table = await createTable(client, "n INTEGER");
    const holder = await newClient().transaction("write");
    await holder.execute(`INSERT INTO ${table} VALUES (1)`);

    const started = performance.now();
    const error = await client.execute(`INSERT INTO ${table} VALUES (2)`).catch((reason: unknown) => reason);
    const waitedMs = performance.now() - started;
    await holder.rollback();

    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).code).toBe("SQLITE_BUSY");
    expect(waitedMs).toBeGreaterThanOrEqual(200);
  });
});
