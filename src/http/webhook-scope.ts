import type { Context, MiddlewareHandler } from "hono";
import type { Acted } from "../db/acting-as";
import { decideOwnKeyAccess } from "../domain/api-key";
import type { Acting } from "../domain/caller";
import { tokenHasScope, WEBHOOKS_SCOPE } from "../domain/scopes";
import { DEFAULT_RATE_LIMITS, INVALID_KEY_DESCRIPTION, insufficientScopeError, invalidToken } from "./auth";
import {
  DATABASE_UNAVAILABLE,
  INTERNAL_ERROR,
  INVALID_BODY,
  MISSING_CREDENTIALS,
  missingScope,
  NOT_JSON,
  overBudget,
  tooLarge,
} from "./details";
import { type DocumentedProblem, problemsByStatus } from "./openapi/responses";
import type { AppEnv } from "./types";
import { MAX_BODY_BYTES } from "./validation";

/**
 * Refuses a token whose scopes lack `scope` (`webhooks:manage` unless told,
 * `events:read` for the event log); one without a `scope` claim passes. An
 * integration key passes untouched: its state and scopes are read by the
 * request's own database batch and judged by {@link accepted}.
 */
export function requireWebhooksScope(scope: string = WEBHOOKS_SCOPE): MiddlewareHandler<AppEnv> {
  return async function requireWebhooksScope(c, next) {
    const actor = c.get("actor");
    if (actor.kind !== "key" && !tokenHasScope(actor, scope)) {
      throw insufficientScopeError(scope);
    }
    await next();
  };
}

/**
 * Who the request acts for, as the webhook store takes it: the caller, with
 * the instant a key's expiry is judged at.
 */
export function credentialOf(c: Context<AppEnv>, now: () => Date = () => new Date()): Acting {
  return { caller: c.get("actor"), at: now().toISOString() };
}

/**
 * The store's result once the key its batch read may act — by the same rules
 * as the conversion's ({@link decideOwnKeyAccess}): unknown, revoked or expired
 * is 401 `invalid_token`, without `scope` (`webhooks:manage` unless told) 403 `insufficient_scope`.
 * The batch's statements act only for such a key, so a refused one changed nothing.
 *
 * @example
 * const rows = accepted(who, await store.listEndpoints(who));
 */
export function accepted<T>(who: Acting, { apiKey, result }: Acted<T>, scope: string = WEBHOOKS_SCOPE): T {
  if (who.caller.kind === "key") {
    const refusal = decideOwnKeyAccess(apiKey, { at: who.at, scope });
    if (refusal?.kind === "unauthorized") throw invalidToken(INVALID_KEY_DESCRIPTION);
    if (refusal?.kind === "insufficient_scope") throw insufficientScopeError(scope);
  }
  return result;
}

/** The document's 413 of the webhooks and events operations that take a body. */
export const tooLargeProblem: DocumentedProblem = ["payload_too_large", tooLarge(MAX_BODY_BYTES)];

/**
 * The error responses every webhooks and events operation documents (credential, scope, rate limit,
 * failures), with its own `extra` ones among them.
 */
export const webhooksProblems = (extra: DocumentedProblem[] = [], scope: string = WEBHOOKS_SCOPE) =>
  problemsByStatus([
    ["unauthorized", MISSING_CREDENTIALS],
    ["insufficient_scope", missingScope(scope)],
    ...extra,
    ["rate_limited", overBudget(DEFAULT_RATE_LIMITS.requests, "requests")],
    ["internal_error", INTERNAL_ERROR],
    ["service_unavailable", DATABASE_UNAVAILABLE],
  ]);

/** {@link webhooksProblems} of an operation that takes a JSON body. */
export const webhooksBodyProblems = (extra: DocumentedProblem[] = []) =>
  webhooksProblems([
    ["validation_error", INVALID_BODY],
    ...extra,
    tooLargeProblem,
    ["unsupported_media_type", NOT_JSON],
  ]);

/** The security requirement of a webhooks or events operation: `webhooks:manage` unless told (`events:read`). */
export const webhooksSecurity = (scope: string = WEBHOOKS_SCOPE) => [{ bearerAuth: [scope] }];

/** A path parameter the webhooks and events operations name their resource by (not necessarily a UUID). */
export const idParameter = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string" },
});
