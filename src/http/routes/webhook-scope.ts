import type { Context, MiddlewareHandler } from "hono";
import type { Actor } from "../../domain/conversion";
import { AUTH_REALM } from "../auth";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";

/** The scope that manages webhook endpoints and reads events, when a credential carries scopes. */
export const WEBHOOKS_SCOPE = "webhooks:manage";

/**
 * Refuses a credential whose scopes lack `webhooks:manage`; one without a `scope` claim passes.
 * Integration keys are refused here, without the database, until these routes read the key's row
 * inside their own database request, as the conversion does (one round trip per request).
 */
export function requireWebhooksScope(): MiddlewareHandler<AppEnv> {
  return async function requireWebhooksScope(c, next) {
    const actor = c.get("actor");
    if (actor.kind === "key") throw new ApiError("forbidden", "Integration keys are not accepted here yet; use a token.");
    const scopes = actor.scopes;
    if (scopes !== null && !scopes.includes(WEBHOOKS_SCOPE)) {
      throw new ApiError("insufficient_scope", `The token's scope does not include "${WEBHOOKS_SCOPE}".`, {
        headers: {
          "WWW-Authenticate": `Bearer realm="${AUTH_REALM}", error="insufficient_scope", scope="${WEBHOOKS_SCOPE}"`,
        },
      });
    }
    await next();
  };
}

/** The entity a token acts for, on routes behind {@link requireWebhooksScope} (which refuses keys). */
export function tokenEntityOf(c: Context<AppEnv>): string {
  return (c.get("actor") as Actor).financialEntityId;
}
