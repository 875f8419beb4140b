/** One structured log line. Values must never include tokens or personal data. */
export type LogRecord = Record<string, unknown>;

export interface Logger {
  info(record: LogRecord): void;
  error(record: LogRecord): void;
}

/**
 * Writes each record as one JSON line: stdout for info, stderr for errors.
 * Workers Logs and `wrangler tail` parse these lines as JSON.
 */
export const jsonLogger: Logger = {
  info: (record) => console.log(JSON.stringify({ level: "info", ...record })),
  error: (record) => console.error(JSON.stringify({ level: "error", ...record })),
};

/**
 * Whether an error's message quotes a query: Drizzle wraps every failed query
 * of its builder in an error reading "Failed query: <SQL> params: <values>" —
 * key hashes, prefixes, a token's `sub`, NITs, emails. The engine's own
 * messages ("database is locked", "UNIQUE constraint failed: t.c", a trigger's
 * RAISE) never carry bound values and are kept.
 */
function quotesQuery(error: Error): boolean {
  return "query" in error || "params" in error || error.message.startsWith("Failed query:");
}

/**
 * What an error says about itself in a log: kind, message, and the chain of
 * causes — for an error that quotes its query, only its kind, and then its cause.
 */
export function describeError(error: unknown, depth = 0): LogRecord {
  if (!(error instanceof Error)) return { value: String(error) };
  const described: LogRecord = quotesQuery(error)
    ? { name: error.constructor?.name || error.name, message: "a database query failed" }
    : { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") described.code = code;
  if (error.cause !== undefined && depth < 3) described.cause = describeError(error.cause, depth + 1);
  return described;
}
