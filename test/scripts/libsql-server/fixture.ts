import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, type Config, createClient } from "@libsql/client/web";
import { afterAll, beforeAll, onTestFinished } from "vitest";
import { type LibsqlServer, type LibsqlServerOptions, startLibsqlServer } from "../../../scripts/libsql-server/server";

/**
 * One local libSQL server for the test file, on a database file of its own;
 * clients made with `newClient` are closed when their test ends.
 */
export function useLibsqlServer(options: Omit<LibsqlServerOptions, "dbPath"> = {}) {
  let dir = "";
  let server: LibsqlServer | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "libsql-server-"));
    server = await startLibsqlServer({ dbPath: join(dir, "test.db"), ...options });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get server(): LibsqlServer {
      if (!server) throw new Error("the server did not start");
      return server;
    },
    get dbPath(): string {
      return join(dir, "test.db");
    },
    newClient(url = server?.url, config: Omit<Config, "url"> = {}): Client {
      const client = createClient({ ...config, url: url! });
      onTestFinished(() => client.close());
      return client;
    },
  };
}

/** A table of its own for one test, so tests never share rows. */
export async function createTable(client: Client, columns: string): Promise<string> {
  const table = `t_${randomUUID().replaceAll("-", "")}`;
  await client.execute(`CREATE TABLE ${table} (${columns})`);
  return table;
}
