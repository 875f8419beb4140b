import { randomUUID } from "node:crypto";
import { LibsqlError } from "@libsql/client/web";
import { describe, expect, it } from "vitest";
import { createTable, useLibsqlServer } from "./fixture";

const fixture = useLibsqlServer();
const { newClient } = fixture;

async function rejection(promise: Promise<unknown>): Promise<LibsqlError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(LibsqlError);
  return error as LibsqlError;
}

describe("executing statements", () => {
  it("answers a query with its columns, declared types and rows", async () => {
    const client = newClient();
    const table = await createTable(client, "id INTEGER PRIMARY KEY, name TEXT NOT NULL");
    await client.execute(`INSERT INTO ${table} (name) VALUES ('Ada'), ('Grace')`);

    const result = await client.execute(`SELECT id, name, upper(name) AS shout FROM ${table} ORDER BY id`);

    expect(result.columns).toEqual(["id", "name", "shout"]);
    expect(result.columnTypes).toEqual(["INTEGER", "TEXT", ""]);
    expect(result.rows.map((row) => ({ ...row }))).toEqual([
      { id: 1, name: "Ada", shout: "ADA" },
      { id: 2, name: "Grace", shout: "GRACE" },
    ]);
  });

  it("answers with a table's new columns on every connection once any of them changed the schema", async () => {
    const client = newClient();
    const table = await createTable(client, "a INTEGER");
    await client.execute(`INSERT INTO ${table} VALUES (1)`);
    const everyConnection = async () => {
      // Two streams open at once hold two connections, each with its own compiled statements; committed, both
      // go back to the server's pool for the next call.
      const streams = [await client.transaction("deferred"), await client.transaction("deferred")];
      const columns = await Promise.all(
        streams.map(async (stream) => (await stream.execute(`SELECT * FROM ${table}`)).columns),
      );
      for (const stream of streams) await stream.commit();
      return columns;
    };
    expect(await everyConnection()).toEqual([["a"], ["a"]]);
    await client.execute(`ALTER TABLE ${table} ADD COLUMN b TEXT`);
    expect(await everyConnection()).toEqual([
      ["a", "b"],
      ["a", "b"],
    ]);
    await client.executeMultiple(`ALTER TABLE ${table} ADD COLUMN c TEXT;`);
    expect(await everyConnection()).toEqual([
      ["a", "b", "c"],
      ["a", "b", "c"],
    ]);
  });

  it("binds positional arguments, numbered ones included", async () => {
    const client = newClient();

    const result = await client.execute({ sql: "SELECT ? AS a, ?3 AS c, ?2 AS b", args: [1, "two", 3] });

    expect({ ...result.rows[0] }).toEqual({ a: 1, c: 3, b: "two" });
  });

  it("binds named arguments, with or without their :, @ or $ prefix", async () => {
    const client = newClient();

    const bare = await client.execute({ sql: "SELECT :a AS a, @b AS b, $c AS c", args: { a: 1, b: 2, c: 3 } });
    const prefixed = await client.execute({ sql: "SELECT :a AS a, @b AS b", args: { ":a": "x", "@b": "y" } });

    expect({ ...bare.rows[0] }).toEqual({ a: 1, b: 2, c: 3 });
    expect({ ...prefixed.rows[0] }).toEqual({ a: "x", b: "y" });
  });

  it("binds a named argument everywhere its name appears", async () => {
    const client = newClient();

    const result = await client.execute({ sql: "SELECT :n AS first, :n + 1 AS second", args: { n: 41 } });

    expect({ ...result.rows[0] }).toEqual({ first: 41, second: 42 });
  });

  it("binds named arguments to a statement that also has a nameless ?, which stays NULL", async () => {
    const client = newClient();

    const result = await client.execute({ sql: "SELECT :a AS a, ? AS nameless", args: { a: "named" } });

    expect({ ...result.rows[0] }).toEqual({ a: "named", nameless: null });
  });

  it("reports the rows an insert, update or delete changed and the last inserted rowid", async () => {
    const client = newClient();
    const table = await createTable(client, "id INTEGER PRIMARY KEY, n INTEGER");

    const insert = await client.execute(`INSERT INTO ${table} (id, n) VALUES (7, 1), (8, 1), (9, 2)`);
    const update = await client.execute(`UPDATE ${table} SET n = n + 1 WHERE n = 1`);
    const remove = await client.execute(`DELETE FROM ${table} WHERE n = 2`);

    expect(insert.rowsAffected).toBe(3);
    expect(insert.lastInsertRowid).toBe(9n);
    expect(update.rowsAffected).toBe(2);
    expect(update.lastInsertRowid).toBeUndefined();
    expect(remove.rowsAffected).toBe(3);
    expect(remove.lastInsertRowid).toBeUndefined();
  });

  it("reports no rowid for a statement that inserted nothing, whatever the pooled connection inserted before", async () => {
    const client = newClient();
    const table = await createTable(client, "id INTEGER PRIMARY KEY, name TEXT UNIQUE");
    const other = await createTable(client, "id INTEGER PRIMARY KEY");
    await client.execute(`INSERT INTO ${table} (id, name) VALUES (41, 'ada')`);

    // Each execute is a request of its own, served by a connection the previous request left in the pool.
    const select = await client.execute("SELECT 1");
    const ignored = await client.execute(`INSERT OR IGNORE INTO ${table} (id, name) VALUES (42, 'ada')`);
    const sameRowid = await client.execute(`INSERT INTO ${other} (id) VALUES (41)`);

    expect(select.lastInsertRowid).toBeUndefined();
    expect(ignored.rowsAffected).toBe(0);
    expect(ignored.lastInsertRowid).toBeUndefined();
    // An insert whose rowid equals the connection's previous one is still an insert.
    expect(sameRowid.lastInsertRowid).toBe(41n);
  });

  it("returns the rows of INSERT … RETURNING together with the count of inserted rows", async () => {
    const client = newClient();
    const table = await createTable(client, "id INTEGER PRIMARY KEY, name TEXT");

    const result = await client.execute(`INSERT INTO ${table} (name) VALUES ('a'), ('b') RETURNING id, name`);

    expect(result.rows.map((row) => [row.id, row.name])).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
    expect(result.rowsAffected).toBe(2);
  });

  it("reports no changed rows for a query, even right after a write on the same stream", async () => {
    const client = newClient();
    const table = await createTable(client, "n INTEGER");

    const [, select] = await client.batch([`INSERT INTO ${table} VALUES (1), (2)`, `SELECT * FROM ${table}`], "write");

    expect(select?.rowsAffected).toBe(0);
  });

  it("runs several statements separated by semicolons", async () => {
    const client = newClient();
    const table = `t_${randomUUID().replaceAll("-", "")}`;

    await client.executeMultiple(
      `CREATE TABLE ${table} (n INTEGER); INSERT INTO ${table} VALUES (1); INSERT INTO ${table} VALUES (2);`,
    );

    const result = await client.execute(`SELECT sum(n) AS total FROM ${table}`);
    expect(result.rows[0]?.total).toBe(3);
  });

  it("stops a sequence of statements at the first one that fails", async () => {
    const client = newClient();
    const table = await createTable(client, "n INTEGER");

    const error = await rejection(
      client.executeMultiple(
        `INSERT INTO ${table} VALUES (1); INSERT INTO missing VALUES (2); INSERT INTO ${table} VALUES (3);`,
      ),
    );

    expect(error.code).toBe("SQLITE_ERROR");
    const result = await client.execute(`SELECT n FROM ${table}`);
    expect(result.rows.map((row) => row.n)).toEqual([1]);
  });
});

describe("errors", () => {
  it("reports constraint violations with SQLite's primary code, as sqld does over HTTP", async () => {
    const client = newClient();
    const parent = await createTable(client, "id INTEGER PRIMARY KEY, email TEXT UNIQUE, age INTEGER CHECK (age >= 0)");
    const child = await createTable(
      client,
      `id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES ${parent}(id)`,
    );
    await client.execute(`INSERT INTO ${parent} (id, email, age) VALUES (1, 'ada@example.com', 36)`);

    const unique = await rejection(client.execute(`INSERT INTO ${parent} (email) VALUES ('ada@example.com')`));
    const primaryKey = await rejection(
      client.execute(`INSERT INTO ${parent} (id, email) VALUES (1, 'other@example.com')`),
    );
    const check = await rejection(client.execute(`INSERT INTO ${parent} (age) VALUES (-1)`));
    const foreignKey = await rejection(client.execute(`INSERT INTO ${child} (parent_id) VALUES (999)`));
    const notNull = await rejection(client.execute(`INSERT INTO ${child} (parent_id) VALUES (NULL)`));

    for (const error of [unique, primaryKey, check, foreignKey, notNull]) {
      expect(error.code).toBe("SQLITE_CONSTRAINT");
      // The official client parses no extended code over HTTP: what sqld sends is all it can see.
      expect(error.extendedCode).toBeUndefined();
    }
    expect(unique.message).toContain(`UNIQUE constraint failed: ${parent}.email`);
    expect(primaryKey.message).toContain(`UNIQUE constraint failed: ${parent}.id`);
    expect(check.message).toContain("CHECK constraint failed");
    expect(foreignKey.message).toContain("FOREIGN KEY constraint failed");
    expect(notNull.message).toContain(`NOT NULL constraint failed: ${child}.parent_id`);
  });

  it("sends the extended code beside the primary one, in a field of its own", async () => {
    const client = newClient();
    const table = await createTable(client, "id INTEGER PRIMARY KEY, email TEXT UNIQUE");
    await client.execute(`INSERT INTO ${table} (id, email) VALUES (1, 'ada@example.com')`);

    const response = await fetch(`${fixture.server.url}/v2/pipeline`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        baton: null,
        requests: [
          { type: "execute", stmt: { sql: `INSERT INTO ${table} (id, email) VALUES (2, 'ada@example.com')` } },
          { type: "execute", stmt: { sql: `INSERT INTO ${table} (id) VALUES (1)` } },
          { type: "close" },
        ],
      }),
    });
    const { results } = (await response.json()) as { results: { type: string; error?: Record<string, string> }[] };

    expect(results[0]).toMatchObject({
      type: "error",
      error: { code: "SQLITE_CONSTRAINT", extended_code: "SQLITE_CONSTRAINT_UNIQUE" },
    });
    expect(results[1]).toMatchObject({
      type: "error",
      error: { code: "SQLITE_CONSTRAINT", extended_code: "SQLITE_CONSTRAINT_PRIMARYKEY" },
    });
  });

  it("reports a syntax error or a missing table as SQLITE_ERROR with SQLite's message", async () => {
    const client = newClient();

    const syntax = await rejection(client.execute("SELEC 1"));
    const missing = await rejection(client.execute("SELECT * FROM no_such_table"));

    expect(syntax.code).toBe("SQLITE_ERROR");
    expect(syntax.message).toContain('near "SELEC": syntax error');
    expect(missing.code).toBe("SQLITE_ERROR");
    expect(missing.message).toContain("no such table: no_such_table");
  });

  it("rejects SQL text that holds no statement", async () => {
    const client = newClient();

    const error = await rejection(client.execute("-- only a comment"));

    expect(error.code).toBe("SQL_NO_STATEMENT");
  });
});
