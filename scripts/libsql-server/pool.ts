import type { SqlConnection } from "./connection";

/**
 * Connections left by closed streams, kept for the next streams: opening one
 * (file, pragmas, statement cache) costs more than most requests do. Only a
 * connection outside any transaction, and not stuck, comes back.
 *
 * @example
 * const pool = new ConnectionPool(() => SqlConnection.open(path));
 * const connection = pool.take();
 * pool.give(connection);
 */
export class ConnectionPool {
  readonly #open: () => SqlConnection;
  readonly #idle: SqlConnection[] = [];
  readonly #keep: number;

  constructor(open: () => SqlConnection, keep = 8) {
    this.#open = open;
    this.#keep = keep;
  }

  take(): SqlConnection {
    return this.#idle.pop() ?? this.#open();
  }

  /** Takes a connection back, or closes it when it is not clean or the pool is full. */
  give(connection: SqlConnection, clean: boolean): void {
    if (clean && connection.isAutocommit && this.#idle.length < this.#keep) this.#idle.push(connection);
    else connection.close();
  }

  closeAll(): void {
    for (const connection of this.#idle.splice(0)) connection.close();
  }
}
