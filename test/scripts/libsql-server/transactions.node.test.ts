import { randomUUID } from "node:crypto";
import { type Client, LibsqlBatchError, type LibsqlError } from "@libsql/client/web";
import { describe, expect, it } from "vitest";
import { useLibsqlServer } from "./fixture";

const fixture = useLibsqlServer();
const { newClient } = fixture;

async function createNamesTable(client: Client): Promise<string> {
  const table = `t_${randomUUID().replaceAll("-", "")}`;
  await client.execute(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`);
  return table;
}

async function namesIn(client: Client, table: string): Promise<unknown[]> {
  const result = await client.execute(`SELECT name FROM ${table} ORDER BY id`);
  return result.rows.map((row) => row.name);
}

describe("batches", () => {
  it("commits every statement of a write batch and returns each result", async () => {
    const client = newClient();
    const table = await createNamesTable(client);

    const results = await client.batch(
      [
        { sql: `INSERT INTO ${table} (name) VALUES (?)`, args: ["a"] },
        { sql: `INSERT INTO ${table} (name) VALUES (?)`, args: ["b"] },
        `SELECT count(*) AS n FROM ${table}`,
      ],
      "write",
    );

    expect(results.map((result) => result.rowsAffected)).toEqual([1, 1, 0]);
    expect(results[2]?.rows[0]?.n).toBe(2);
    expect(await namesIn(client, table)).toEqual(["a", "b"]);
  });

  it("rolls the whole batch back when a statement in the middle fails", async () => {
    const client = newClient();
    const table = await createNamesTable(client);
    await client.execute(`INSERT INTO ${table} (name) VALUES ('taken')`);

    const error = await client
      .batch(
        [
          `INSERT INTO ${table} (name) VALUES ('first')`,
          `INSERT INTO ${table} (name) VALUES ('taken')`,
          `INSERT INTO ${table} (name) VALUES ('third')`,
        ],
        "write",
      )
      .catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(LibsqlBatchError);
    expect((error as LibsqlBatchError).statementIndex).toBe(1);
    expect((error as LibsqlBatchError).code).toBe("SQLITE_CONSTRAINT");
    expect(await namesIn(client, table)).toEqual(["taken"]);
  });

  it("runs a read batch", async () => {
    const client = newClient();
    const table = await createNamesTable(client);
    await client.execute(`INSERT INTO ${table} (name) VALUES ('a'), ('b')`);

    const [count, first] = await client.batch(
      [`SELECT count(*) AS n FROM ${table}`, `SELECT name FROM ${table} ORDER BY id LIMIT 1`],
      "read",
    );

    expect(count?.rows[0]?.n).toBe(2);
    expect(first?.rows[0]?.name).toBe("a");
  });

  it("commits a deferred batch", async () => {
    const client = newClient();
    const table = await createNamesTable(client);

    await client.batch([`INSERT INTO ${table} (name) VALUES ('a')`, `UPDATE ${table} SET name = 'b'`], "deferred");

    expect(await namesIn(client, table)).toEqual(["b"]);
  });
});

describe("interactive transactions", () => {
  it("makes its writes visible to others only once it commits", async () => {
    const client = newClient();
    const table = await createNamesTable(client);

    const transaction = await client.transaction("write");
    await transaction.execute(`INSERT INTO ${table} (name) VALUES ('pending')`);
    const seenInside = await transaction.execute(`SELECT count(*) AS n FROM ${table}`);
    const seenOutside = await namesIn(client, table);
    await transaction.commit();

    expect(seenInside.rows[0]?.n).toBe(1);
    expect(seenOutside).toEqual([]);
    expect(await namesIn(client, table)).toEqual(["pending"]);
  });

  it("discards its writes when rolled back", async () => {
    const client = newClient();
    const table = await createNamesTable(client);

    const transaction = await client.transaction("write");
    await transaction.execute(`INSERT INTO ${table} (name) VALUES ('discarded')`);
    await transaction.rollback();

    expect(await namesIn(client, table)).toEqual([]);
  });

  it("stays open after one of its statements fails, keeping the earlier writes", async () => {
    const client = newClient();
    const table = await createNamesTable(client);

    const transaction = await client.transaction("write");
    await transaction.execute(`INSERT INTO ${table} (name) VALUES ('kept')`);
    const failure = await transaction.execute(`INSERT INTO ${table} (name) VALUES ('kept')`).catch((e: unknown) => e);
    await transaction.execute(`INSERT INTO ${table} (name) VALUES ('after')`);
    await transaction.commit();

    expect((failure as LibsqlError).code).toBe("SQLITE_CONSTRAINT");
    expect(await namesIn(client, table)).toEqual(["kept", "after"]);
  });

  it("runs a batch inside the transaction", async () => {
    const client = newClient();
    const table = await createNamesTable(client);

    const transaction = await client.transaction("write");
    await transaction.batch([`INSERT INTO ${table} (name) VALUES ('a')`, `INSERT INTO ${table} (name) VALUES ('b')`]);
    await transaction.commit();

    expect(await namesIn(client, table)).toEqual(["a", "b"]);
  });
});
