import Database from "libsql";
import { HranaError } from "./errors";
import type { DescribeResult } from "./protocol";
import type { SqlValue } from "./values";

export interface ExecuteOutcome {
  cols: { name: string; decltype: string | null }[];
  /** Raw engine values, one array per row. */
  rows: unknown[][];
  affectedRowCount: number;
  /** The rowid this statement inserted, as sqld reports it; null for a statement that inserted nothing. */
  lastInsertRowid: bigint | null;
  durationMs: number;
}

export interface PreparedStatement {
  /** Runs the statement with positional arguments (index i binds parameter i + 1). */
  run(args: SqlValue[], wantRows: boolean): ExecuteOutcome;
}

type Counters = [changes: bigint, totalChanges: bigint, lastInsertRowid: bigint];

const STATEMENTS_KEPT = 64;

// Whitespace and comments before a statement's first keyword.
const LEADING_TRIVIA = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/.source;
const LEADING_EXPLAIN = new RegExp(`${LEADING_TRIVIA}EXPLAIN\\b`, "i");
// A statement that changes the schema can change what compiled statements return.
const CHANGES_SCHEMA = new RegExp(`${LEADING_TRIVIA}(?:CREATE|ALTER|DROP)\\b`, "i");
// A statement that may insert rows (an INSERT, REPLACE or upsert, possibly behind a WITH clause).
const MAY_INSERT = /\b(?:INSERT|REPLACE)\b/i;

type Columns = ExecuteOutcome["cols"];

interface KeptStatement {
  statement: Database.Statement;
  // Whether the text names INSERT or REPLACE: with a changed row count, the sign that the statement inserted
  // even when the new rowid equals the connection's previous one (a row of another table).
  mayInsert: boolean;
  // What the statement returns (null: no rows), read after its first run; kept until the schema changes, when
  // every kept statement is dropped (see #statement): asking the engine costs a native call per run, the column list more.
  columns?: Columns | null;
}

/**
 * One SQLite connection to the database file, owned by one stream. Every call
 * is synchronous, as the engine is.
 *
 * @example
 * const connection = SqlConnection.open(".data/dev.db");
 * connection.prepare("SELECT ?").run([1n], true).rows; // [[1n]]
 * connection.close();
 */
export class SqlConnection {
  // Bumped whenever any connection of this server changes the schema: each connection then drops what it compiled.
  static #schemaChanges = 0;
  #schemaChangesSeen = SqlConnection.#schemaChanges;
  readonly #db: Database.Database;
  readonly #counters: Database.Statement;
  readonly #statements = new Map<string, KeptStatement>();
  // total_changes() and last_insert_rowid() after the last statement this connection ran, when nothing may have
  // changed them since.
  #known: { totalChanges: bigint; lastInsertRowid: bigint } | undefined;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#counters = db.prepare("SELECT changes(), total_changes(), last_insert_rowid()").raw(true);
  }

  /** Opens a connection in WAL mode with foreign keys on; integers come back as `bigint`. */
  static open(path: string): SqlConnection {
    const db = new Database(path);
    try {
      db.defaultSafeIntegers(true);
      // The engine blocks the event loop while it waits for a lock, so it must not wait at all:
      // callers retry SQLITE_BUSY asynchronously instead (see busy.ts).
      db.exec("PRAGMA busy_timeout = 0");
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA foreign_keys = ON");
      return new SqlConnection(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** True outside of an explicit transaction. */
  get isAutocommit(): boolean {
    return !this.#db.inTransaction;
  }

  /** Rows changed by this connection so far. */
  get totalChanges(): bigint {
    return this.#readCounters()[1];
  }

  /**
   * Compiles one statement. Run it again to retry it: each run starts by
   * resetting it, which a statement that failed with SQLITE_BUSY needs (see `Stream`).
   */
  prepare(sql: string): PreparedStatement {
    const kept = this.#statement(sql);
    return { run: (args, wantRows) => this.#run(kept, args, wantRows) };
  }

  // Compiled statements are kept per connection, most recently used last: clients
  // send the same texts again and again, and compiling is the costliest step.
  #statement(sql: string): KeptStatement {
    if (CHANGES_SCHEMA.test(sql)) SqlConnection.#schemaChanges += 1;
    if (this.#schemaChangesSeen !== SqlConnection.#schemaChanges) {
      this.#schemaChangesSeen = SqlConnection.#schemaChanges;
      this.#statements.clear();
    }
    let kept = this.#statements.get(sql);
    if (kept) this.#statements.delete(sql);
    else kept = { statement: this.#db.prepare(sql), mayInsert: MAY_INSERT.test(sql) };
    this.#statements.set(sql, kept);
    if (this.#statements.size > STATEMENTS_KEPT) this.#statements.delete(this.#statements.keys().next().value!);
    return kept;
  }

  /** Runs statements separated by semicolons, ignoring their rows. */
  executeSequence(sql: string): void {
    this.#known = undefined;
    SqlConnection.#schemaChanges += 1;
    this.#db.exec(sql);
  }

  /**
   * The name of each parameter, by position: `names[i]` is parameter i + 1,
   * `null` for a nameless `?`. Read from the compiled program, so it follows
   * SQLite's own numbering.
   */
  parameterNames(sql: string): (string | null)[] {
    return LEADING_EXPLAIN.test(sql) ? [] : parameterNamesIn(this.#program(sql));
  }

  describe(sql: string): DescribeResult {
    const statement = this.#db.prepare(sql);
    const isExplain = LEADING_EXPLAIN.test(sql);
    const program = isExplain ? [] : this.#program(sql);
    return {
      params: parameterNamesIn(program).map((name) => ({ name })),
      cols: statement.reader ? statement.columns().map((column) => ({ name: column.name, decltype: column.type })) : [],
      is_explain: isExplain,
      // A statement that writes opens its transaction with a non-zero P2 (a write transaction).
      is_readonly: !program.some((op) => op[1] === "Transaction" && op[3] !== 0n),
    };
  }

  /** Rolls back an open transaction and closes; closing twice does nothing. */
  close(): void {
    if (!this.#db.open) return;
    if (this.#db.inTransaction) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // Closing rolls back anyway; the explicit ROLLBACK only releases the lock sooner.
      }
    }
    this.#db.close();
  }

  #run(kept: KeptStatement, args: SqlValue[], wantRows: boolean): ExecuteOutcome {
    const { statement } = kept;
    const started = performance.now();
    const before = this.#known ?? this.#countersNow();
    this.#known = undefined;
    let columns = kept.columns;
    const reader = columns === undefined ? statement.reader : columns !== null;
    let rows: unknown[][] = [];
    try {
      if (reader) rows = statement.raw(true).all(args) as unknown[][];
      else statement.run(args);
    } catch (error) {
      // The engine reports a statement made only of whitespace or comments as "not an error".
      if ((error as { code?: unknown }).code === "SQLITE_OK") {
        throw new HranaError("The SQL text contains no statement", "SQL_NO_STATEMENT");
      }
      throw error;
    }
    const [changes, totalAfter, lastInsertRowid] = this.#readCounters();
    this.#known = { totalChanges: totalAfter, lastInsertRowid };
    const changed = totalAfter !== before.totalChanges;
    // last_insert_rowid() is the connection's, and a pooled connection served other requests before: report it
    // only for a statement that inserted, as sqld does (a SELECT on a fresh request must not answer a stale rowid).
    const inserted = changed && (lastInsertRowid !== before.lastInsertRowid || kept.mayInsert);
    if (columns === undefined) {
      // Read after the first run: compiling may have used a schema another connection has changed since,
      // and the run compiles the statement again when it finds that.
      columns = reader ? statement.columns().map((column) => ({ name: column.name, decltype: column.type })) : null;
      kept.columns = columns;
    }
    return {
      cols: columns ?? [],
      rows: wantRows ? rows : [],
      // changes() still holds the last INSERT/UPDATE/DELETE's count after a plain SELECT.
      affectedRowCount: changed ? Number(changes) : 0,
      lastInsertRowid: inserted ? lastInsertRowid : null,
      durationMs: performance.now() - started,
    };
  }

  #readCounters(): Counters {
    return this.#counters.get() as Counters;
  }

  #countersNow(): { totalChanges: bigint; lastInsertRowid: bigint } {
    const [, totalChanges, lastInsertRowid] = this.#readCounters();
    return { totalChanges, lastInsertRowid };
  }

  // EXPLAIN rows: addr, opcode, p1, p2, p3, p4, p5, comment.
  #program(sql: string): unknown[][] {
    const explain = this.#db.prepare(`EXPLAIN ${sql}`).raw(true);
    const program = explain.all() as unknown[][];
    // SQLite counts an EXPLAIN of a write as a running writer until the statement is reset, and
    // the engine's all() never resets: the next write would then never commit and keep the
    // file locked, even past close(). get() ends with a reset.
    explain.get();
    return program;
  }
}

function parameterNamesIn(program: unknown[][]): (string | null)[] {
  const names: (string | null)[] = [];
  for (const [, opcode, index, , , name] of program) {
    if (opcode !== "Variable") continue;
    const position = Number(index);
    while (names.length < position) names.push(null);
    names[position - 1] = typeof name === "string" && name !== "" ? name : null;
  }
  return names;
}
