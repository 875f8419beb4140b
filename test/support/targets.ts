import { join } from "node:path";
import { startWorker } from "../../scripts/lib/worker";
import { type LibsqlServer, type LibsqlServerOptions, startLibsqlServer } from "../../scripts/libsql-server/server";
import type { Database } from "../../src/db/client";
import { parseEnv } from "../../src/env";
import { type NodeServerOptions, startNodeServer } from "../../src/node";
import { createTestDatabase } from "./database";
import { silentLogger } from "./logs";
import { TEST_SECRET } from "./tokens";

/** A running service reached over HTTP, with its database at hand for data and checks. */
export interface HttpTarget {
  url: URL;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  db: Database;
  /** The database file's URL, for a second connection of the test's own (e.g. one that holds the write lock). */
  dbUrl: string;
  /** Every log line the service has written so far, as the JSON text it printed. */
  logLines(): string[];
  close(): Promise<void>;
}

/** The Node entry over HTTP, on its own embedded database. */
export async function startNodeTarget(
  env: Record<string, string> = {},
  options: Pick<NodeServerOptions, "resolveWebhookHost"> = {},
): Promise<HttpTarget> {
  const database = await createTestDatabase();
  const logger = silentLogger();
  const server = await startNodeServer({
    config: parseEnv({ TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET, ...env }),
    port: 0,
    logger,
    ...options,
  });
  const url = new URL(server.url);
  return {
    url,
    fetch: (path, init) => fetch(new URL(path, url), init),
    db: database.db,
    dbUrl: database.url,
    // The records the entry's logger got, printed as src/log.ts's jsonLogger prints them.
    logLines: () => logger.records.map((record) => JSON.stringify(record)),
    close: async () => {
      await server.close();
      database.close();
    },
  };
}

/**
 * The Worker in workerd, reaching its database over HTTP through the local
 * libSQL server — the production path, with the server's instruments at hand.
 */
export async function startWorkerTarget(
  options: {
    vars?: Record<string, string>;
    server?: Partial<LibsqlServerOptions>;
    testScheduled?: boolean;
    bindings?: Record<string, object>;
  } = {},
): Promise<HttpTarget & { server: LibsqlServer; restartServer(): Promise<LibsqlServer> }> {
  const database = await createTestDatabase();
  const dbPath = join(database.dir, "test.db");
  let server = await startLibsqlServer({ dbPath, ...options.server });
  const worker = await startWorker(
    { TURSO_DATABASE_URL: server.url, JWT_SECRET: TEST_SECRET, ...options.vars },
    { testScheduled: options.testScheduled, bindings: options.bindings },
  );
  return {
    url: worker.url,
    fetch: (path, init) => fetch(new URL(path, worker.url), init),
    db: database.db,
    dbUrl: database.url,
    // What the Worker itself printed in workerd, line by line.
    logLines: () => worker.logs.map((line) => line.message),
    get server() {
      return server;
    },
    /** A new server on the same port and file, after the old one was closed. */
    async restartServer() {
      server = await startLibsqlServer({ dbPath, ...options.server, port: server.port });
      return server;
    },
    close: async () => {
      await worker.dispose();
      await server.close();
      database.close();
    },
  };
}
