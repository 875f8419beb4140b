import { describeIssues, HranaError, toProtoError } from "./errors";
import { executeBatch, executeSequence, executeStmt, resolveSql } from "./execute";
import { StreamRequest, type StreamResponse, type StreamResult } from "./protocol";
import type { Stream } from "./stream";

/**
 * Runs a pipeline's requests on a stream, one after another, and returns one
 * result per request, in order. A failing request does not stop the ones after it.
 *
 * @example
 * const results = await runPipeline(stream, [{ type: "execute", stmt: { sql: "SELECT 1" } }, { type: "close" }]);
 */
export async function runPipeline(stream: Stream, requests: unknown[]): Promise<StreamResult[]> {
  const results: StreamResult[] = [];
  for (const request of requests) {
    try {
      results.push({ type: "ok", response: await runRequest(stream, request) });
    } catch (error) {
      results.push({ type: "error", error: toProtoError(error) });
    }
  }
  return results;
}

async function runRequest(stream: Stream, input: unknown): Promise<StreamResponse> {
  const parsed = StreamRequest.safeParse(input);
  if (!parsed.success) {
    throw new HranaError(`Invalid request (${describeIssues(parsed.error)})`, "PROTOCOL_ERROR");
  }
  const request = parsed.data;
  if (stream.closed) throw new HranaError("The stream is closed", "STREAM_CLOSED");

  switch (request.type) {
    case "close":
      stream.close();
      return { type: "close" };
    case "execute":
      return { type: "execute", result: await executeStmt(stream, request.stmt) };
    case "batch":
      return { type: "batch", result: await executeBatch(stream, request.batch) };
    case "sequence":
      await executeSequence(stream, request);
      return { type: "sequence" };
    case "describe":
      return { type: "describe", result: stream.connection.describe(resolveSql(stream, request)) };
    case "store_sql":
      if (stream.storedSql.has(request.sql_id)) {
        throw new HranaError(`SQL text id ${request.sql_id} is already in use`, "SQL_STORE_CONFLICT");
      }
      stream.storedSql.set(request.sql_id, request.sql);
      return { type: "store_sql" };
    case "close_sql":
      stream.storedSql.delete(request.sql_id);
      return { type: "close_sql" };
    case "get_autocommit":
      return { type: "get_autocommit", is_autocommit: stream.connection.isAutocommit };
  }
}
