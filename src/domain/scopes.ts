import type { Actor } from "./conversion";

/** The scope a token needs to read the entity's clients (`GET /users/{user_id}`). */
export const USERS_READ_SCOPE = "users:read";

/** The scope a token needs to read leads (`GET /leads/{lead_id}`). */
export const LEADS_READ_SCOPE = "leads:read";

/**
 * The scope a token needs to create, list and revoke integration keys — always
 * explicitly: a token without a scope claim does not carry it (a leaked
 * short-lived token must not be able to mint keys that outlive it).
 */
export const MANAGE_KEYS_SCOPE = "keys:manage";

/** Scopes only a token that names them carries. */
const EXPLICIT_ONLY_SCOPES: readonly string[] = [MANAGE_KEYS_SCOPE];

/**
 * Whether the actor's token grants `scope`. A token that carries no scope claim
 * at all carries every scope of its entity but `keys:manage`.
 *
 * @example
 * actorHasScope({ financialEntityId, subject, scopes: ["users:read"] }, USERS_READ_SCOPE) // → true
 * actorHasScope({ financialEntityId, subject, scopes: null }, MANAGE_KEYS_SCOPE) // → false
 */
export function actorHasScope(actor: Actor, scope: string): boolean {
  if (actor.scopes === null) return !EXPLICIT_ONLY_SCOPES.includes(scope);
  return actor.scopes.includes(scope);
}
