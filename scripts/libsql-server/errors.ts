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

/**
 * The `{ message, code }` the client sees for any thrown value; SQLite errors
 * keep the engine's code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_BUSY`, …).
 *
 * @example
 * toProtoError(new HranaError("Unknown baton", "BATON_INVALID")); // { message: "Unknown baton", code: "BATON_INVALID" }
 */
export function toProtoError(error: unknown): ProtoError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { message: error.message, code: typeof code === "string" ? code : "INTERNAL_ERROR" };
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
