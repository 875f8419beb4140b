import type { Context, MiddlewareHandler } from "hono";
import { type Credential, decideOwnKeyAccess } from "../../domain/api-key";
import { actorHasScope } from "../../domain/scopes";
import { type Acted, WEBHOOKS_SCOPE } from "../../webhooks/credential";
import { INVALID_KEY_DESCRIPTION, insufficientScopeError, invalidToken } from "../auth";
import type { AppEnv } from "../types";

export { WEBHOOKS_SCOPE };

/**
 * Refuses a token whose scopes lack `webhooks:manage`; one without a `scope`
 * claim passes. An integration key passes untouched: its state and scopes are
 * read by the request's own database batch and judged by {@link accepted}.
 */
export function requireWebhooksScope(): MiddlewareHandler<AppEnv> {
  return async function requireWebhooksScope(c, next) {
    const actor = c.get("actor");
    if (actor.kind !== "key" && !actorHasScope(actor, WEBHOOKS_SCOPE)) {
      throw insufficientScopeError(WEBHOOKS_SCOPE);
    }
    await next();
  };
}

/**
 * Who the request acts for, as the webhook store takes it: a token's entity,
 * or a key's hash with the instant its expiry is judged at.
 */
export function credentialOf(c: Context<AppEnv>, now: () => Date = () => new Date()): Credential {
  const actor = c.get("actor");
  return actor.kind === "key"
    ? { keyHash: actor.keyHash, at: now().toISOString() }
    : { entityId: actor.financialEntityId };
}

/**
 * The store's result once the key its batch read may act — by the same rules
 * as the conversion's ({@link decideOwnKeyAccess}): unknown, revoked or expired
 * is 401 `invalid_token`, without `webhooks:manage` 403 `insufficient_scope`.
 * The batch's statements act only for such a key, so a refused one changed nothing.
 *
 * @example
 * const rows = accepted(who, await store.listEndpoints(who));
 */
export function accepted<T>(who: Credential, { apiKey, result }: Acted<T>): T {
  if ("keyHash" in who) {
    const refusal = decideOwnKeyAccess(apiKey, { at: who.at, scope: WEBHOOKS_SCOPE });
    if (refusal?.kind === "unauthorized") throw invalidToken(INVALID_KEY_DESCRIPTION);
    if (refusal?.kind === "insufficient_scope") throw insufficientScopeError(WEBHOOKS_SCOPE);
  }
  return result;
}
