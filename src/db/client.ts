import { type Client, createClient, type InArgs, type InStatement } from "@libsql/client/http";
import type { SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/libsql/http";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { DatabaseUnavailableError } from "./errors";

/** The Drizzle handle over one libSQL client; `$client` is the client itself. */
export type Database = ReturnType<typeof createDatabase>;

/**
 * Wraps a libSQL client — embedded, or remote over HTTP — in Drizzle.
 *
 * @example
 * const db = createDatabase(createClient({ url: "file:.data/dev.db" }));
 */
export function createDatabase(client: Client) {
  return drizzle(client);
}

const dialect = new SQLiteAsyncDialect();

/**
 * A Drizzle query (SQL, or a prepared query's `getQuery()`) as a statement of
 * a libSQL `batch`.
 *
 * @example
 * await db.$client.batch([sql`select 1`, query.getQuery()].map(toStatement), "read");
 */
export function toStatement(query: SQL | { sql: string; params: unknown[] }): InStatement {
  const { sql: text, params } = "params" in query ? query : dialect.sqlToQuery(query);
  return { sql: text, args: params as InArgs };
}

export interface RemoteDatabaseConfig {
  url: string;
  authToken?: string;
  /** Every request to the database is aborted after this long. */
  timeoutMs: number;
}

/**
 * Opens a libSQL database over HTTP (Turso, or the local server), the way the
 * Worker reaches it. No connection is made until the first query. The HTTP-only
 * client: the Worker never speaks WebSockets, and leaving that client out of
 * the bundle keeps it small.
 *
 * @example
 * const db = openRemoteDatabase({ url: env.TURSO_DATABASE_URL, authToken, timeoutMs: 5_000 });
 */
export function openRemoteDatabase({ url, authToken, timeoutMs }: RemoteDatabaseConfig): Database {
  const client = createClient({
    url,
    authToken,
    // The client queues calls beyond `concurrency` (default 20) and runs them when
    // another call finishes. In a Worker that call may belong to another request,
    // whose I/O context the queued fetch would then hang in: so no queue. (0 would
    // mean 20 here.) Turso bounds concurrency on its side.
    concurrency: Number.POSITIVE_INFINITY,
    fetch: async (request: Request) => {
      // Without a deadline a lost response would hold the request open until the platform kills it.
      let res: Response;
      try {
        res = await fetch(request, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        // Only here is a failure known to be the network's (Node says TypeError "fetch failed", workerd a plain Error).
        throw new DatabaseUnavailableError("the database could not be reached", { cause: error });
      }
      // The client reads a 5xx's JSON body as an SQL error and loses the status: judge it here.
      if (res.status >= 500 || res.status === 429) {
        await res.body?.cancel();
        throw new DatabaseUnavailableError(`the database answered HTTP ${res.status}`);
      }
      return res;
    },
  });
  return createDatabase(client);
}
