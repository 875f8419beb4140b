import { createClient } from "@libsql/client";
import { createDatabase, type Database, openRemoteDatabase } from "./client";
import { openEmbeddedClient } from "./embedded-client";

export interface NodeDatabaseConfig {
  /** `file:` for the embedded engine, or a `libsql:`/`https:` URL for a remote database. */
  url: string;
  authToken?: string;
  /**
   * How long a call waits for another writer's lock on an embedded file —
   * asynchronously, so the process keeps serving meanwhile. Defaults to `timeoutMs`.
   */
  busyTimeoutMs?: number;
  /** Deadline of one request to a remote database, and the default lock wait on an embedded one. */
  timeoutMs?: number;
}

/** The path of a `file:` URL (`file:.data/dev.db`, `file:///abs/dev.db`), or null for other URLs. */
export function embeddedPath(url: string): string | null {
  if (!url.startsWith("file:")) return null;
  const path = url
    .slice("file:".length)
    .replace(/^\/\/(?=\/)/, "")
    .split("?")[0]!;
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
  timeoutMs = 5_000,
  busyTimeoutMs = timeoutMs,
}: NodeDatabaseConfig): Database {
  const path = embeddedPath(url);
  if (path === null) {
    return url.startsWith("file:")
      ? createDatabase(createClient({ url }))
      : openRemoteDatabase({ url, authToken, timeoutMs });
  }
  return createDatabase(openEmbeddedClient(path, busyTimeoutMs));
}
