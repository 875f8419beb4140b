import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Client, createClient, LibsqlError } from "@libsql/client";

const CALLS = new Set(["execute", "batch", "executeMultiple", "migrate"]);

/** Calls a connection serves before it is replaced; see {@link guardEmbeddedClient}. */
export const CALLS_PER_CONNECTION = 500;

/**
 * Runs the client's calls one at a time — the engine runs them one at a time
 * anyway — and works around two defects of its binding (libsql 0.5):
 *
 * - A prepared statement's memory is freed only when its connection closes,
 *   and @libsql/client prepares every statement it runs — so a long-lived
 *   connection grows by kilobytes per statement, without bound. Connections are
 *   replaced every {@link CALLS_PER_CONNECTION} calls.
 * - A statement that failed with SQLITE_BUSY is never reset, and its
 *   connection then refuses every later COMMIT. Connections are replaced after
 *   a BUSY.
 *
 * Replacing happens between calls, never under one; it closes the client's
 * connections, so this client must not be used for interactive transactions
 * (this service never opens one).
 */
function guardEmbeddedClient(client: Client): Client {
  let calls = 0;
  let previous: Promise<unknown> = Promise.resolve();

  async function guarded(call: () => Promise<unknown>) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof LibsqlError && error.code.startsWith("SQLITE_BUSY")) calls = CALLS_PER_CONNECTION;
      throw error;
    } finally {
      calls += 1;
      if (calls >= CALLS_PER_CONNECTION) {
        calls = 0;
        await client.reconnect();
      }
    }
  }

  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (!CALLS.has(String(property))) return value.bind(target);
      return (...args: unknown[]) => {
        const result = previous.then(() => guarded(() => value.apply(target, args)));
        previous = result.catch(() => undefined);
        return result;
      };
    },
  });
}

/**
 * The embedded libSQL engine on a database file, on the calling thread.
 *
 * @example
 * const client = openEmbeddedClient("file:.data/dev.db", ".data/dev.db", 5_000);
 */
export function openEmbeddedClient(url: string, path: string, busyTimeoutMs: number): Client {
  mkdirSync(dirname(path), { recursive: true });
  return guardEmbeddedClient(createClient({ url, timeout: busyTimeoutMs, concurrency: 1 }));
}
