import { LibsqlError } from "@libsql/client/http";

/**
 * The database could not be reached, was busy, or did not answer in time.
 * Nothing can be assumed to have been written, and the attempt is safe to repeat.
 */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

// SQLite and libSQL transport codes that describe the path to the data, not the data.
const UNAVAILABLE_CODES = [
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_CANTOPEN",
  "SQLITE_IOERR",
  "SQLITE_PROTOCOL",
  "SQLITE_FULL",
  "HRANA_CLOSED_ERROR",
  "HRANA_WEBSOCKET_ERROR",
  "CLIENT_CLOSED",
];

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof LibsqlError)) {
    // The client throws its own errors for SQL; anything else came from the
    // transport (fetch failed, connection reset, aborted by our deadline).
    return error instanceof Error && !(error instanceof RangeError) && !(error instanceof SyntaxError);
  }
  if (error.code === "SERVER_ERROR") {
    const status = (error.cause as { status?: unknown } | undefined)?.status;
    return typeof status !== "number" || status >= 500 || status === 429;
  }
  return UNAVAILABLE_CODES.some((code) => error.code.startsWith(code));
}

/**
 * Runs one database call with a deadline, turning transport failures and
 * timeouts into {@link DatabaseUnavailableError}. SQL errors pass through.
 *
 * @example
 * const rows = await callDatabase(() => client.execute("select 1"), 5_000);
 */
export async function callDatabase<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DatabaseUnavailableError(`the database did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([call(), deadline]);
  } catch (error) {
    if (error instanceof DatabaseUnavailableError || !isUnavailable(error)) throw error;
    throw new DatabaseUnavailableError("the database is unavailable", { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
