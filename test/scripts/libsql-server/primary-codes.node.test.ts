import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LibsqlError } from "@libsql/client/web";
import { describe, expect, it } from "vitest";
import { primaryCode } from "../../../scripts/libsql-server/errors";
import { callDatabase, DatabaseUnavailableError } from "../../../src/db/errors";
import { createTable, useLibsqlServer } from "./fixture";

// What Turso sends over HTTP is SQLite's primary code; the local server sends the same (issue 22). The product's
// error paths must work on primary codes alone: these run them against the local server's real answers.
const fixture = useLibsqlServer({ busyWaitMs: 50 });

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("SQLite's primary codes over HTTP", () => {
  it("names the primary code of every extended code, and leaves other codes alone", () => {
    expect(primaryCode("SQLITE_CONSTRAINT_UNIQUE")).toBe("SQLITE_CONSTRAINT");
    expect(primaryCode("SQLITE_CONSTRAINT_PRIMARYKEY")).toBe("SQLITE_CONSTRAINT");
    expect(primaryCode("SQLITE_BUSY_SNAPSHOT")).toBe("SQLITE_BUSY");
    expect(primaryCode("SQLITE_IOERR_SHORT_READ")).toBe("SQLITE_IOERR");
    expect(primaryCode("SQLITE_ERROR")).toBe("SQLITE_ERROR");
    expect(primaryCode("STREAM_EXPIRED")).toBe("STREAM_EXPIRED");
  });

  it("product code matches no extended SQLite code", () => {
    const extended = /["'`]SQLITE_[A-Z]+_[A-Z_]+["'`]/;
    const offenders = sourceFiles(join(import.meta.dirname, "../../../src")).filter((file) =>
      extended.test(readFileSync(file, "utf8")),
    );
    expect(offenders).toEqual([]);
  });

  it("a busy database is unavailable (503), classified from the primary code alone", async () => {
    const holder = fixture.newClient();
    const table = await createTable(holder, "id INTEGER PRIMARY KEY");
    const tx = await holder.transaction("write");
    await tx.execute(`INSERT INTO ${table} (id) VALUES (1)`);
    try {
      const failure = await callDatabase(
        () => fixture.newClient().execute(`INSERT INTO ${table} (id) VALUES (2)`),
        5_000,
      ).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(DatabaseUnavailableError);
      const cause = (failure as Error).cause as LibsqlError;
      expect(cause.code).toBe("SQLITE_BUSY");
    } finally {
      await tx.rollback();
    }
  });

  it("a constraint violation stays an SQL error (500), not a retry", async () => {
    const client = fixture.newClient();
    const table = await createTable(client, "id INTEGER PRIMARY KEY");
    await client.execute(`INSERT INTO ${table} (id) VALUES (1)`);

    const failure = await callDatabase(() => client.execute(`INSERT INTO ${table} (id) VALUES (1)`), 5_000).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(LibsqlError);
    expect(failure).not.toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as LibsqlError).code).toBe("SQLITE_CONSTRAINT");
  });
});
