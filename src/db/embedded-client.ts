import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Client, LibsqlError } from "@libsql/client";
import { ConnectionPool, Sqlite3Client } from "@libsql/client/sqlite3";
import type Database from "libsql";

const CALLS = new Set(["execute", "batch", "executeMultiple", "migrate"]);

// Calls that leave nothing behind when they fail with SQLITE_BUSY, so running
// them again is the same as running them once: one autocommit statement, or a
// transaction the client rolls back. `executeMultiple` may stop half-way.
const RETRIED_ON_BUSY = new Set(["execute", "batch", "migrate"]);

/** Compiled statements a connection keeps, least recently used dropped first. */
export const STATEMENTS_KEPT = 128;

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

// A statement that changes the schema can change what kept statements return; leading comments allowed.
const CHANGES_SCHEMA = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(?:create|alter|drop)\b/i;

/**
 * Makes a connection compile each SQL text once and run the compiled statement
 * again for every later call with the same text, up to {@link STATEMENTS_KEPT}
 * texts. @libsql/client compiles every statement of every call; with the
 * binding of libsql 0.5 each compilation costs time (about a third of a
 * conversion's database work) and ~2.8 KB of native memory that only a garbage
 * collection gives back — and V8, not told about that memory, collects late
 * (`bench/libsql-prepare-leak.mjs`). A service sends the same few texts over
 * and over, so reusing them removes both. A statement that changes the schema
 * (or `exec`) forgets every kept statement first.
 *
 * Reuse is safe because the client runs one statement at a time to its end
 * (`all()` or `run()`), setting its modes before each run.
 *
 * @example
 * const db = reuseStatements(new Database("e.db"));
 * db.prepare("select 1") === db.prepare("select 1"); // true
 */
export function reuseStatements(db: Database.Database): Database.Database {
  const compile = db.prepare.bind(db);
  const exec = db.exec.bind(db);
  const kept = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    if (CHANGES_SCHEMA.test(sql)) kept.clear();
    let statement = kept.get(sql);
    if (statement) kept.delete(sql);
    else statement = withFixedShape(compile(sql));
    kept.set(sql, statement);
    if (kept.size > STATEMENTS_KEPT) kept.delete(kept.keys().next().value!);
    return statement;
  }) as typeof db.prepare;
  db.exec = ((sql: string) => {
    kept.clear();
    return exec(sql);
  }) as typeof db.exec;
  return db;
}

/**
 * Answers what a compiled statement returns from what the binding said once:
 * until the schema changes it stays the same (a change made on this connection
 * compiles every statement again; one made elsewhere shows in the rows). The
 * binding builds its column list anew on every call (@libsql/client asks twice
 * per run), and @libsql/client learns that a statement returns no rows from
 * `raw()` throwing, for which the binding builds a new error every time.
 */
function withFixedShape(statement: Database.Statement): Database.Statement {
  if (statement.reader) {
    const columnsNow = statement.columns.bind(statement);
    const all = statement.all.bind(statement);
    let columns: ReturnType<typeof columnsNow> | undefined;
    statement.columns = () => (columns ??= columnsNow());
    statement.all = ((...args: unknown[]) => {
      const rows = all(...args);
      // Another connection may have changed the schema since: the run compiles the statement again, and rows
      // of another width say so.
      const first = rows[0];
      if (Array.isArray(first) && first.length !== columns?.length) columns = columnsNow();
      return rows;
    }) as typeof statement.all;
    return statement;
  }
  try {
    statement.raw(true);
  } catch (notAReader) {
    statement.raw = () => {
      throw notAReader;
    };
  }
  return statement;
}

/** The client's own pool, whose connections reuse their compiled statements. */
class StatementReusingPool extends ConnectionPool {
  readonly #reusing = new WeakSet<Database.Database>();

  override acquireSync(forTransaction?: boolean): Database.Database {
    const db = super.acquireSync(forTransaction);
    if (!this.#reusing.has(db)) this.#reusing.add(reuseStatements(db));
    return db;
  }
}

/**
 * Runs the client's calls one at a time — the engine runs them one at a time
 * anyway — and waits for other writers' locks without blocking the thread.
 *
 * A statement that failed with SQLITE_BUSY is never reset by the binding
 * (libsql 0.5), and its connection then refuses every later COMMIT; so after a
 * BUSY the connection, with the statements it compiled, is replaced.
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
  let previous: Promise<unknown> = Promise.resolve();

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
        if (busy) await client.reconnect();
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
 * const client = openEmbeddedClient(".data/dev.db", 5_000);
 */
export function openEmbeddedClient(path: string, lockWaitMs: number): Client {
  mkdirSync(dirname(path), { recursive: true });
  // The constructors @libsql/client's createClient uses for a file, with the pool swapped for one that reuses statements.
  const client = new Sqlite3Client(new StatementReusingPool(path, { timeout: ENGINE_BUSY_TIMEOUT_MS }, 1), "number");
  return guardEmbeddedClient(client, lockWaitMs);
}
