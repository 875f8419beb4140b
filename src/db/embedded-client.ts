import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Client, createClient, LibsqlError } from "@libsql/client";

const CALLS = new Set(["execute", "batch", "executeMultiple", "migrate"]);

// Calls that leave nothing behind when they fail with SQLITE_BUSY, so running
// them again is the same as running them once: one autocommit statement, or a
// transaction the client rolls back. `executeMultiple` may stop half-way.
const RETRIED_ON_BUSY = new Set(["execute", "batch", "migrate"]);

/** Calls a connection serves before it is replaced; see {@link guardEmbeddedClient}. */
export const CALLS_PER_CONNECTION = 500;

/**
 * How long the engine itself waits for another writer's lock. The binding
 * waits synchronously, freezing the whole process, so it is kept to a few
 * milliseconds and the real wait happens between attempts, off the thread.
 */
export const ENGINE_BUSY_TIMEOUT_MS = 5;

const FIRST_PAUSE_MS = 2;
const LONGEST_PAUSE_MS = 50;

function isBusy(error: unknown): boolean {
  return error instanceof LibsqlError && error.code.startsWith("SQLITE_BUSY");
}

/**
 * Runs the client's calls one at a time — the engine runs them one at a time
 * anyway — waits for other writers' locks without blocking the thread, and
 * works around two defects of its binding (libsql 0.5):
 *
 * - A prepared statement holds ~2.8 KB of native memory until V8 collects
 *   its handle, and @libsql/client prepares every statement it runs. Replacing
 *   the connection every {@link CALLS_PER_CONNECTION} calls was meant to bound
 *   it; `bench/libsql-prepare-leak.mjs` shows it does not (only a collection
 *   frees it) — see bench/RESULTS.md, "Peak RSS". Kept until that is fixed.
 * - A statement that failed with SQLITE_BUSY is never reset, and its
 *   connection then refuses every later COMMIT. Connections are replaced after
 *   a BUSY.
 *
 * A call that meets a lock is tried again after a pause that doubles up to
 * {@link LONGEST_PAUSE_MS}, on a fresh connection, until `lockWaitMs` has
 * passed; then its SQLITE_BUSY is thrown. The event loop stays free meanwhile,
 * so callers' deadlines fire and other requests are answered.
 *
 * Replacing happens between calls, never under one; it closes the client's
 * connections, so this client must not be used for interactive transactions
 * (this service never opens one).
 */
function guardEmbeddedClient(client: Client, lockWaitMs: number): Client {
  let calls = 0;
  let previous: Promise<unknown> = Promise.resolve();

  async function countCall(busy: boolean) {
    calls = busy ? CALLS_PER_CONNECTION : calls + 1;
    if (calls >= CALLS_PER_CONNECTION) {
      calls = 0;
      await client.reconnect();
    }
  }

  async function guarded(call: () => Promise<unknown>, retried: boolean) {
    const giveUpAt = Date.now() + lockWaitMs;
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
      let busy = false;
      try {
        return await call();
      } catch (error) {
        busy = isBusy(error);
        if (!busy || !retried || Date.now() + pause >= giveUpAt) throw error;
      } finally {
        await countCall(busy);
      }
      await sleep(pause);
    }
  }

  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const name = String(property);
      if (!CALLS.has(name)) return value.bind(target);
      return (...args: unknown[]) => {
        const result = previous.then(() => guarded(() => value.apply(target, args), RETRIED_ON_BUSY.has(name)));
        previous = result.catch(() => undefined);
        return result;
      };
    },
  });
}

/**
 * The embedded libSQL engine on a database file, on the calling thread. A call
 * waits up to `lockWaitMs` for another writer's lock, without blocking the
 * thread, before failing with SQLITE_BUSY.
 *
 * @example
 * const client = openEmbeddedClient("file:.data/dev.db", ".data/dev.db", 5_000);
 */
export function openEmbeddedClient(url: string, path: string, lockWaitMs: number): Client {
  mkdirSync(dirname(path), { recursive: true });
  return guardEmbeddedClient(createClient({ url, timeout: ENGINE_BUSY_TIMEOUT_MS, concurrency: 1 }), lockWaitMs);
}
