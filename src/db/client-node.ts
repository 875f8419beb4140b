import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Client, createClient, LibsqlError } from "@libsql/client";
import { createDatabase, type Database, openRemoteDatabase } from "./client";

export interface NodeDatabaseConfig {
  /** `file:` for the embedded engine, or a `libsql:`/`https:` URL for a remote database. */
  url: string;
  authToken?: string;
  /** How long a statement waits for another writer's lock on an embedded file. */
  busyTimeoutMs?: number;
  /** Deadline of one request to a remote database. */
  timeoutMs?: number;
}

/** The path of a `file:` URL (`file:.data/dev.db`, `file:///abs/dev.db`), or null for other URLs. */
export function embeddedPath(url: string): string | null {
  if (!url.startsWith("file:")) return null;
  const path = url.slice("file:".length).replace(/^\/\/(?=\/)/, "").split("?")[0]!;
  return path === ":memory:" ? null : path;
}

const CALLS = new Set(["execute", "batch", "executeMultiple", "migrate"]);

/**
 * The embedded engine does not reset a statement that failed with
 * SQLITE_BUSY, and the connection then refuses every later COMMIT ("SQL
 * statements in progress"). After a BUSY, the client drops its connections
 * and opens fresh ones, so one lock timeout cannot poison the pool.
 */
function dropConnectionsAfterBusy(client: Client): Client {
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (!CALLS.has(String(property))) return value.bind(target);
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          if (error instanceof LibsqlError && error.code.startsWith("SQLITE_BUSY")) await target.reconnect();
          throw error;
        }
      };
    },
  });
}

/**
 * Opens a libSQL database from Node: embedded for `file:` URLs (creating the
 * folder if needed), over HTTP otherwise — the same client the Worker uses.
 *
 * @example
 * const db = openNodeDatabase({ url: "file:.data/dev.db" });
 */
export function openNodeDatabase({ url, authToken, busyTimeoutMs = 5_000, timeoutMs = 5_000 }: NodeDatabaseConfig): Database {
  const path = embeddedPath(url);
  if (path === null) {
    return url.startsWith("file:") ? createDatabase(createClient({ url })) : openRemoteDatabase({ url, authToken, timeoutMs });
  }
  mkdirSync(dirname(path), { recursive: true });
  return createDatabase(dropConnectionsAfterBusy(createClient({ url, timeout: busyTimeoutMs })));
}
