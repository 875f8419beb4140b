import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { $ZodIssue } from "zod/v4/core";
import { INVALID_BODY, mustBeOfType, tooLarge } from "./details";
import { ApiError, type ValidationIssue } from "./problem";
import type { AppEnv } from "./types";

/** Zod issues as the problem's `errors`: a dotted path (empty for the body itself) and a message. */
export function toValidationIssues(issues: readonly $ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/**
 * The `@hono/zod-validator` hook: a failed parse becomes the API's
 * `validation_error` problem instead of the library's own JSON.
 */
export function validationHook(
  result: { success: true } | { success: false; error: { issues: readonly $ZodIssue[] } },
): void {
  if (!result.success) {
    throw new ApiError("validation_error", INVALID_BODY, {
      extensions: { errors: toValidationIssues(result.error.issues) },
    });
  }
}

/**
 * Requires an uncompressed JSON body (`application/json` unless `mediaTypes`
 * says otherwise, parameters allowed). Hono's JSON validator reads any other
 * type as `{}`, which would turn a 415 into a 400, and it never decodes a
 * `Content-Encoding`: a gzip body would be "malformed JSON" and a `br` one read
 * as if it were plain. A refused type is answered with `Accept` naming the one
 * accepted, or, for a PATCH taking several, `Accept-Patch` (RFC 5789) naming them.
 *
 * @example
 * app.patch("/leads/:lead_id", requireJsonBody(["application/merge-patch+json", "application/json"]), handler);
 */
export function requireJsonBody(mediaTypes: readonly string[] = ["application/json"]): MiddlewareHandler<AppEnv> {
  const accepted = mediaTypes.map((type) => type.toLowerCase());
  const refusal: { detail: string; headers: Record<string, string> } =
    accepted.length === 1
      ? { detail: mustBeOfType(accepted), headers: { Accept: accepted[0]! } }
      : {
          detail: mustBeOfType(accepted),
          headers: { "Accept-Patch": accepted.join(", ") },
        };
  return async function requireJsonBody(c, next) {
    const encodings = (c.req.header("Content-Encoding") ?? "")
      .split(",")
      .map((coding) => coding.trim().toLowerCase())
      .filter((coding) => coding !== "" && coding !== "identity");
    if (encodings.length > 0) {
      throw new ApiError(
        "unsupported_media_type",
        "The request body must not be compressed: send it without a Content-Encoding.",
        {
          headers: { "Accept-Encoding": "identity" },
        },
      );
    }
    const mediaType = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
    if (mediaType === undefined || !accepted.includes(mediaType)) {
      throw new ApiError("unsupported_media_type", refusal.detail, { headers: refusal.headers });
    }
    await next();
  };
}

/** The body limit of every endpoint that takes a body, but key creation (whose body is a name and a few scopes). */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Hono's body limit, answering with the API's 413 `payload_too_large` problem.
 * Routes put it first: the contract checks the body's size before the credential.
 * A body that declares its length is judged by the header, as Hono's does, but without asking for
 * `request.body` first: on the Node entry that getter builds a web stream over the socket, so the
 * body is then read through it instead of the adapter's direct read (bench/RESULTS.md, "Throughput").
 *
 * @example
 * app.post("/webhook-endpoints", jsonBodyLimit(MAX_BODY_BYTES), bearerAuth({ verifyToken }), handler);
 */
export function jsonBodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new TypeError("jsonBodyLimit needs a positive whole number of bytes");
  const tooLargeError = () => {
    throw new ApiError("payload_too_large", tooLarge(maxBytes));
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLargeError });
  return async function jsonBodyLimit(c, next) {
    const { method, headers } = c.req.raw;
    // GET and HEAD carry no body (Hono's limit lets them through); a chunked body is counted as it streams.
    if (method === "GET" || method === "HEAD" || headers.has("transfer-encoding") || !headers.has("content-length"))
      return streamed(c, next);
    if (Number.parseInt(headers.get("content-length") || "0", 10) > maxBytes) return tooLargeError();
    await next();
  };
}
