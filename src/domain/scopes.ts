import type { TokenCaller } from "./caller";

// Every scope the API knows, declared here and nowhere else.

/** Converting leads: `POST /turn-lead-into-client` and `POST /turn-leads-into-clients`. */
export const CONVERT_SCOPE = "leads:convert";

/** Reading the entity's clients (`GET /users/{user_id}`). */
export const USERS_READ_SCOPE = "users:read";

/** Reading leads (`GET /leads/{lead_id}`). */
export const LEADS_READ_SCOPE = "leads:read";

/** The scope a token needs to create, change, assign and unassign leads. */
export const LEADS_WRITE_SCOPE = "leads:write";

/** Managing webhook endpoints, and redelivering events to them. */
export const WEBHOOKS_SCOPE = "webhooks:manage";

/**
 * Reading the event log and its delivery attempts (`GET /events`, `GET /events/{id}/deliveries`):
 * events carry every converted client's data, so managing webhooks alone does not grant it.
 */
export const EVENTS_READ_SCOPE = "events:read";

/** Creating, listing and revoking integration keys: a token's scope only, and only when the token names it. */
export const MANAGE_KEYS_SCOPE = "keys:manage";

/** Scopes only a token that names them carries. */
const EXPLICIT_ONLY_SCOPES: readonly string[] = [MANAGE_KEYS_SCOPE];

/** What an integration key may be allowed to do. `keys:manage` is never among them: keys cannot manage keys. */
export const API_KEY_SCOPES = [
  CONVERT_SCOPE,
  LEADS_READ_SCOPE,
  LEADS_WRITE_SCOPE,
  USERS_READ_SCOPE,
  WEBHOOKS_SCOPE,
  EVENTS_READ_SCOPE,
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * Whether the caller's token grants `scope`. A token that carries no scope claim
 * at all carries every scope of its entity but `keys:manage`, which must be
 * named (a leaked short-lived token must not mint keys that outlive it). (A
 * key's scopes are judged from its row, inside the request's batch: see
 * `decideKeyAccess`.)
 *
 * @example
 * tokenHasScope({ kind: "jwt", financialEntityId, subject, scopes: ["users:read"] }, USERS_READ_SCOPE) // → true
 * tokenHasScope({ kind: "jwt", financialEntityId, subject, scopes: null }, MANAGE_KEYS_SCOPE) // → false
 */
export function tokenHasScope(caller: TokenCaller, scope: string): boolean {
  if (caller.scopes === null) return !EXPLICIT_ONLY_SCOPES.includes(scope);
  return caller.scopes.includes(scope);
}
