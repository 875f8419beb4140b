import type { ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { DatabaseUnavailableError } from "../db/errors";
import { KeyRefusedError } from "../db/key-gate";
import { describeError, type Logger } from "../log";
import { INVALID_KEY_DESCRIPTION, invalidToken, JwksUnavailableError } from "./auth";
import { DATABASE_UNAVAILABLE, INTERNAL_ERROR, MALFORMED_BODY } from "./details";
import { ApiError, problemResponse } from "./problem";
import type { AppEnv } from "./types";

/** Seconds a caller should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 1;

function fromHttpException(error: HTTPException): ApiError {
  switch (error.status) {
    case 400:
      // Hono's JSON validator throws this for a body that does not parse.
      return new ApiError("validation_error", MALFORMED_BODY, {
        extensions: { errors: [{ path: "", message: "Malformed JSON" }] },
      });
    case 413:
      return new ApiError("payload_too_large", "The request body is too large.");
    default:
      return new ApiError("internal_error", INTERNAL_ERROR, { cause: error });
  }
}

/** Any thrown value, as the problem the caller gets. Nothing internal crosses over. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  // The key's batch stopped at its first statement: unknown, revoked or expired, answered alike.
  if (error instanceof KeyRefusedError) return invalidToken(INVALID_KEY_DESCRIPTION);
  if (error instanceof DatabaseUnavailableError) {
    return new ApiError("service_unavailable", DATABASE_UNAVAILABLE, {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
      cause: error,
    });
  }
  if (error instanceof JwksUnavailableError) {
    return new ApiError(
      "service_unavailable",
      "The identity provider's signing keys could not be fetched; retrying is safe.",
      {
        headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
        cause: error,
      },
    );
  }
  if (error instanceof HTTPException) return fromHttpException(error);
  return new ApiError("internal_error", INTERNAL_ERROR, { cause: error });
}

/**
 * The app's one `onError`: every failure becomes the problem shape, and
 * server-side failures are logged once with their cause and the request id.
 */
export function errorHandler(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      logger.error({
        msg: "request failed",
        request_id: c.get("requestId"),
        code: apiError.code,
        error: describeError(apiError.cause ?? error),
      });
    }
    return problemResponse(c, apiError);
  };
}
