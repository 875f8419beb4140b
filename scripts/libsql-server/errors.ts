import type { z } from "zod";
import type { ProtoError } from "./protocol";

/**
 * An error meant for the client: it travels as `{ message, code }`, inside a
 * pipeline result or, with `status`, as the body of an HTTP error.
 *
 * @example
 * throw new HranaError("The stream has expired", "STREAM_EXPIRED");
 */
export class HranaError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "HranaError";
  }
}

// SQLite's primary result codes by name. An extended code is its primary code's name plus a suffix
// (SQLITE_CONSTRAINT_UNIQUE, SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_SHORT_READ).
const PRIMARY_CODES = new Set(
  "ERROR INTERNAL PERM ABORT BUSY LOCKED NOMEM READONLY INTERRUPT IOERR CORRUPT NOTFOUND FULL CANTOPEN PROTOCOL EMPTY SCHEMA TOOBIG CONSTRAINT MISMATCH MISUSE NOLFS AUTH FORMAT RANGE NOTADB NOTICE WARNING"
    .split(" ")
    .map((name) => `SQLITE_${name}`),
);

/**
 * The primary code of an SQLite result code name, or the name itself when it is not an SQLite code.
 *
 * @example
 * primaryCode("SQLITE_CONSTRAINT_UNIQUE"); // "SQLITE_CONSTRAINT"
 * primaryCode("STREAM_EXPIRED"); // "STREAM_EXPIRED"
 */
export function primaryCode(code: string): string {
  if (!code.startsWith("SQLITE_")) return code;
  for (let end = code.length; end > 0; end = code.lastIndexOf("_", end - 1)) {
    const prefix = code.slice(0, end);
    if (PRIMARY_CODES.has(prefix)) return prefix;
  }
  return code;
}

/**
 * The `{ message, code }` the client sees for any thrown value. As sqld does over HTTP, `code` is SQLite's
 * primary code (`SQLITE_CONSTRAINT`, never `SQLITE_CONSTRAINT_UNIQUE`): a client that matched on an extended
 * code would pass here and fail on Turso. The extended code travels beside it, in `extended_code`, which
 * the official client ignores.
 *
 * @example
 * toProtoError(new HranaError("Unknown baton", "BATON_INVALID")); // { message: "Unknown baton", code: "BATON_INVALID" }
 * toProtoError(uniqueViolation); // { message: "UNIQUE constraint failed: t.a", code: "SQLITE_CONSTRAINT", extended_code: "SQLITE_CONSTRAINT_UNIQUE" }
 */
export function toProtoError(error: unknown): ProtoError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== "string") return { message: error.message, code: "INTERNAL_ERROR" };
    const primary = primaryCode(code);
    return primary === code
      ? { message: error.message, code }
      : { message: error.message, code: primary, extended_code: code };
  }
  return { message: String(error), code: "INTERNAL_ERROR" };
}

/**
 * A schema's complaints in one line, for an error message.
 *
 * @example
 * describeIssues(Stmt.safeParse({ sql: 1 }).error); // "sql: Invalid input: expected string, received number"
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
}
