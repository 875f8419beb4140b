import type { SqlConnection } from "./connection";
import type { ConnectionPool } from "./pool";

/**
 * A Hrana stream: its own connection (and so its own transaction) and its
 * stored SQL texts. Streams are made and looked up by the `StreamRegistry`.
 *
 * @example
 * const stream = new Stream(new ConnectionPool(() => SqlConnection.open(".data/dev.db")), 5_000);
 * stream.connectionForStatement().prepare("SELECT 1").run([], true);
 * stream.close();
 */
export class Stream {
  readonly storedSql = new Map<number, string>();
  readonly #connections: ConnectionPool;
  #connection: SqlConnection;
  #stuck = false;
  #closed = false;

  constructor(
    connections: ConnectionPool,
    /** How long a statement of this stream waits for a lock held by another stream. */
    readonly busyWaitMs: number,
  ) {
    this.#connections = connections;
    this.#connection = connections.take();
  }

  /** The current connection, to read its state. */
  get connection(): SqlConnection {
    return this.#connection;
  }

  /** True after a statement gave up with SQLITE_BUSY, until the connection is replaced. */
  get stuck(): boolean {
    return this.#stuck;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The connection to run the next statement on: a fresh one if the current one is stuck and can be let go. */
  connectionForStatement(): SqlConnection {
    if (this.#stuck && this.#connection.isAutocommit) {
      this.#connection.close();
      this.#connection = this.#connections.take();
      this.#stuck = false;
    }
    return this.#connection;
  }

  /**
   * Records that a statement gave up with SQLITE_BUSY. SQLite keeps such a
   * statement running, to be retried, and the engine cannot reset it without
   * running it again; while it runs, the connection never commits again (its
   * next autocommit write would hold the write lock for good). So the
   * connection is replaced once it is outside a transaction: right away, or
   * after the client rolls back.
   */
  markStuck(): void {
    this.#stuck = true;
  }

  /** Releases the connection: back to the pool when it is clean, else rolled back and closed. */
  close(): void {
    this.#closed = true;
    this.#connections.give(this.#connection, !this.#stuck);
  }
}
