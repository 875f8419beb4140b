import { LibsqlError } from "@libsql/client/http";

/**
 * The database could not be reached, was busy, or did not answer in time.
 * Whether a write happened is unknown (a response can be lost after the
 * commit); repeating the attempt is safe, because a conversion replays.
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

function isUnavailableItself(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (error instanceof LibsqlError) {
    if (error.code === "SERVER_ERROR") {
      const status = (error.cause as { status?: unknown } | undefined)?.status;
      return typeof status !== "number" || status >= 500 || status === 429;
    }
    return UNAVAILABLE_CODES.some((code) => error.code.startsWith(code));
  }
  // A request to the database aborted by its deadline (AbortSignal.timeout) while
  // its body was read. Failed fetches arrive as DatabaseUnavailableError already
  // (src/db/client.ts). Anything else — a TypeError included — is a bug of ours
  // or an SQL error, and must not be answered as "retry".
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

/**
 * Whether the error, or one it wraps (Drizzle wraps every failed query of its
 * builder in an error whose `cause` is the client's), says the database could
 * not be reached, was busy or did not answer.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 5; depth++) {
    if (isUnavailableItself(current)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/**
 * Runs one database call with a deadline, turning transport failures and
 * timeouts into {@link DatabaseUnavailableError}. SQL errors and code errors
 * (a `TypeError` thrown while building the call) pass through, to become 500s.
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
    if (error instanceof DatabaseUnavailableError || !isDatabaseUnavailable(error)) throw error;
    throw new DatabaseUnavailableError("the database is unavailable", { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
