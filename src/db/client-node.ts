import { createClient } from "@libsql/client";
import { createDatabase, type Database, openRemoteDatabase } from "./client";
import { openEmbeddedClient } from "./embedded-client";

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

/**
 * Opens a libSQL database from Node: embedded for `file:` URLs (creating the
 * folder if needed), over HTTP otherwise — the same client the Worker uses.
 *
 * @example
 * const db = openNodeDatabase({ url: "file:.data/dev.db" });
 */
export function openNodeDatabase({
  url,
  authToken,
  busyTimeoutMs = 5_000,
  timeoutMs = 5_000,
}: NodeDatabaseConfig): Database {
  const path = embeddedPath(url);
  if (path === null) {
    return url.startsWith("file:") ? createDatabase(createClient({ url })) : openRemoteDatabase({ url, authToken, timeoutMs });
  }
  return createDatabase(openEmbeddedClient(url, path, busyTimeoutMs));
}
