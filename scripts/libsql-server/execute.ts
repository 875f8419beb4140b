import { isBusy, retryWhileBusy } from "./busy";
import type { PreparedStatement, SqlConnection } from "./connection";
import { HranaError, toProtoError } from "./errors";
import type { Batch, BatchCond, BatchResult, Stmt, StmtResult } from "./protocol";
import type { Stream } from "./stream";
import { type SqlValue, valueFromProto, valueToProto } from "./values";

const PARAMETER_PREFIXES = [":", "@", "$"];
const PREFIXED_NAME = /^[:@$?]/;

/**
 * Executes one statement on a stream's connection, waiting out locks held by
 * other streams.
 *
 * @example
 * const result = await executeStmt(stream, { sql: "SELECT :name", named_args: [{ name: "name", value: { type: "text", value: "Ada" } }] });
 * result.rows; // [[{ type: "text", value: "Ada" }]]
 */
export async function executeStmt(stream: Stream, stmt: Stmt): Promise<StmtResult> {
  const sql = resolveSql(stream, stmt);
  const connection = stream.connectionForStatement();
  const args = bindArgs(connection, sql, stmt);
  const wasAutocommit = connection.isAutocommit;
  let statement: PreparedStatement | undefined;
  try {
    // One prepared statement for every attempt: each run resets it, which clears a failed attempt.
    const outcome = await retryWhileBusy(
      () => (statement ??= connection.prepare(sql)).run(args, stmt.want_rows ?? true),
      {
        maxWaitMs: stream.busyWaitMs,
        canRetry: () => !stream.stuck && connection.isAutocommit === wasAutocommit,
      },
    );
    return {
      cols: outcome.cols,
      rows: outcome.rows.map((row) => row.map(valueToProto)),
      affected_row_count: outcome.affectedRowCount,
      last_insert_rowid: outcome.lastInsertRowid?.toString() ?? null,
      query_duration_ms: outcome.durationMs,
    };
  } catch (error) {
    if (isBusy(error)) stream.markStuck();
    throw error;
  }
}

/**
 * Executes a batch: steps run in order, each only if its condition holds; a
 * failing step is reported in `step_errors` and does not stop the batch.
 *
 * @example
 * await executeBatch(stream, { steps: [{ stmt: { sql: "BEGIN" } }, { condition: { type: "ok", step: 0 }, stmt: { sql: "COMMIT" } }] });
 */
export async function executeBatch(stream: Stream, batch: Batch): Promise<BatchResult> {
  // Checked up front: failing halfway would leave the batch's BEGIN without its COMMIT.
  batch.steps.forEach((step, index) => {
    if (step.condition) checkCondition(step.condition, index);
  });
  const result: BatchResult = { step_results: [], step_errors: [] };
  for (const step of batch.steps) {
    if (step.condition && !evaluate(step.condition, result, stream)) {
      result.step_results.push(null);
      result.step_errors.push(null);
      continue;
    }
    try {
      result.step_results.push(await executeStmt(stream, step.stmt));
      result.step_errors.push(null);
    } catch (error) {
      result.step_results.push(null);
      result.step_errors.push(toProtoError(error));
    }
  }
  return result;
}

/** Where a request's SQL text comes from: inline, or stored earlier with `store_sql`. */
export interface SqlSource {
  sql?: string | null;
  sql_id?: number | null;
}

/**
 * Executes semicolon-separated statements, ignoring their rows; the first
 * failure stops the rest.
 *
 * @example
 * await executeSequence(stream, { sql: "CREATE TABLE a (x); CREATE TABLE b (y);" });
 */
export async function executeSequence(stream: Stream, source: SqlSource): Promise<void> {
  const sql = resolveSql(stream, source);
  const connection = stream.connectionForStatement();
  const wasAutocommit = connection.isAutocommit;
  const changesBefore = connection.totalChanges;
  // Unlike a prepared statement, a sequence finalizes what it ran, even on SQLITE_BUSY.
  await retryWhileBusy(() => connection.executeSequence(sql), {
    maxWaitMs: stream.busyWaitMs,
    // Retrying after an earlier statement of the sequence took effect would run it twice.
    canRetry: () => connection.isAutocommit === wasAutocommit && connection.totalChanges === changesBefore,
  });
}

/**
 * The SQL text a request names; exactly one of `sql` and `sql_id` must be given.
 *
 * @example
 * stream.storedSql.set(1, "SELECT 1");
 * resolveSql(stream, { sql_id: 1 }); // "SELECT 1"
 */
export function resolveSql(stream: Stream, { sql, sql_id: sqlId }: SqlSource): string {
  const bothOrNeither = () => new HranaError("Exactly one of sql and sql_id must be given", "PROTOCOL_ERROR");
  if (sql !== undefined && sql !== null) {
    if (sqlId !== undefined && sqlId !== null) throw bothOrNeither();
    return sql;
  }
  if (sqlId === undefined || sqlId === null) throw bothOrNeither();
  const stored = stream.storedSql.get(sqlId);
  if (stored === undefined) throw new HranaError(`No SQL text is stored under id ${sqlId}`, "SQL_NOT_FOUND");
  return stored;
}

// The engine aborts the whole process when it binds an object to a statement with a
// nameless parameter, so named arguments are turned into positions here instead.
function bindArgs(connection: SqlConnection, sql: string, stmt: Stmt): SqlValue[] {
  const values = (stmt.args ?? []).map(valueFromProto);
  const namedArgs = stmt.named_args ?? [];
  if (namedArgs.length === 0) return values;
  const names = connection.parameterNames(sql);
  for (const { name, value } of namedArgs) {
    const candidates = PREFIXED_NAME.test(name) ? [name] : PARAMETER_PREFIXES.map((prefix) => prefix + name);
    const index = names.findIndex((parameter) => parameter !== null && candidates.includes(parameter));
    // A name the statement does not use is ignored, as the engine's own named binding does.
    if (index === -1) continue;
    while (values.length <= index) values.push(null);
    values[index] = valueFromProto(value);
  }
  return values;
}

function checkCondition(condition: BatchCond, stepIndex: number): void {
  switch (condition.type) {
    case "ok":
    case "error":
      if (condition.step >= stepIndex) {
        throw new HranaError(
          `The condition of step ${stepIndex} refers to step ${condition.step}, which does not run before it`,
          "BATCH_COND_INVALID",
        );
      }
      return;
    case "not":
      return checkCondition(condition.cond, stepIndex);
    case "and":
    case "or":
      return condition.conds.forEach((cond) => checkCondition(cond, stepIndex));
    case "is_autocommit":
      return;
  }
}

function evaluate(condition: BatchCond, result: BatchResult, stream: Stream): boolean {
  switch (condition.type) {
    case "ok":
      return result.step_results[condition.step] != null;
    case "error":
      return result.step_errors[condition.step] != null;
    case "not":
      return !evaluate(condition.cond, result, stream);
    case "and":
      return condition.conds.every((cond) => evaluate(cond, result, stream));
    case "or":
      return condition.conds.some((cond) => evaluate(cond, result, stream));
    case "is_autocommit":
      return stream.connection.isAutocommit;
  }
}
