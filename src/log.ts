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

/** What an error says about itself in a log: kind, message, and the chain of causes. */
export function describeError(error: unknown, depth = 0): LogRecord {
  if (!(error instanceof Error)) return { value: String(error) };
  const described: LogRecord = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") described.code = code;
  if (error.cause !== undefined && depth < 3) described.cause = describeError(error.cause, depth + 1);
  return described;
}
