import type { Actor } from "./conversion";

/** The scope a token needs to read the entity's clients (`GET /users/{user_id}`). */
export const USERS_READ_SCOPE = "users:read";

/** The scope a token needs to read leads (`GET /leads/{lead_id}`). */
export const LEADS_READ_SCOPE = "leads:read";

/** The scope a token needs to create and change leads (`POST /leads`, `POST /leads/bulk`, `PATCH /leads/{lead_id}`). */
export const LEADS_WRITE_SCOPE = "leads:write";

/**
 * Whether the actor's token grants `scope`. A token that carries no scope claim
 * at all carries every scope of its entity.
 *
 * @example
 * actorHasScope({ financialEntityId, subject, scopes: ["users:read"] }, USERS_READ_SCOPE) // → true
 */
export function actorHasScope(actor: Actor, scope: string): boolean {
  return actor.scopes === null || actor.scopes.includes(scope);
}
