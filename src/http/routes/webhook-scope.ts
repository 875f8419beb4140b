import type { MiddlewareHandler } from "hono";
import { AUTH_REALM } from "../auth";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";

/** The scope that manages webhook endpoints and reads events, when a credential carries scopes. */
export const WEBHOOKS_SCOPE = "webhooks:manage";

/** Refuses a credential whose scopes lack `webhooks:manage`; one without a `scope` claim passes. */
export function requireWebhooksScope(): MiddlewareHandler<AppEnv> {
  return async function requireWebhooksScope(c, next) {
    const scopes = c.get("actor").scopes;
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
