import type { MiddlewareHandler } from "hono";
import type { Actor } from "../../domain/conversion";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";

/**
 * Lets only a verified token through, after `bearerAuth`. For the routes that
 * do not yet read an integration key's row inside their own database request
 * (bulk conversion and the reads): a key is refused with 403 without touching
 * the database, rather than trusted without its revocation being checked.
 */
export function tokenOnly(): MiddlewareHandler<AppEnv> {
  return async function tokenOnly(c, next) {
    if (c.get("actor").kind === "key") throw new ApiError("forbidden", "Integration keys are not accepted here yet; use a token.");
    await next();
  };
}

/** The token's actor, on a route behind {@link tokenOnly}. */
export const tokenActor = (actor: AppEnv["Variables"]["actor"]): Actor => actor as Actor;
