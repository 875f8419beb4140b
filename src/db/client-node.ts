import { createClient } from "@libsql/client";
import { createDatabase, type Database } from "./client";

export interface NodeDatabaseConfig {
  /** `file:` for the embedded engine, or a `libsql:`/`https:` URL for a remote database. */
  url: string;
  authToken?: string;
  /** How long a statement waits for another writer's lock on an embedded file. */
  busyTimeoutMs?: number;
}

/**
 * Opens a libSQL database from Node: embedded for `file:` URLs, over the
 * network otherwise.
 *
 * @example
 * const db = openNodeDatabase({ url: "file:.data/dev.db" });
 */
export function openNodeDatabase({ url, authToken, busyTimeoutMs = 5_000 }: NodeDatabaseConfig): Database {
  return createDatabase(createClient({ url, authToken, timeout: busyTimeoutMs }));
}
