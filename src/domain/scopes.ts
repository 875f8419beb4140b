import type { TokenCaller } from "./caller";

// Every scope the API knows, declared here and nowhere else.

/** Converting leads: `POST /turn-lead-into-client` and `POST /turn-leads-into-clients`. */
export const CONVERT_SCOPE = "leads:convert";

/** Reading the entity's clients (`GET /users/{user_id}`). */
export const USERS_READ_SCOPE = "users:read";

/** Reading leads (`GET /leads/{lead_id}`). */
export const LEADS_READ_SCOPE = "leads:read";

/** Managing webhook endpoints and reading events. */
export const WEBHOOKS_SCOPE = "webhooks:manage";

/** Creating, listing and revoking integration keys: a token's scope only. */
export const MANAGE_KEYS_SCOPE = "keys:manage";

/** What an integration key may be allowed to do. `keys:manage` is never among them: keys cannot manage keys. */
export const API_KEY_SCOPES = [CONVERT_SCOPE, LEADS_READ_SCOPE, USERS_READ_SCOPE, WEBHOOKS_SCOPE] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * Whether the caller's token grants `scope`. A token that carries no scope claim
 * at all carries every scope of its entity. (A key's scopes are judged from its
 * row, inside the request's batch: see `decideKeyAccess`.)
 *
 * @example
 * tokenHasScope({ kind: "jwt", financialEntityId, subject, scopes: ["users:read"] }, USERS_READ_SCOPE) // → true
 */
export function tokenHasScope(caller: TokenCaller, scope: string): boolean {
  return caller.scopes === null || caller.scopes.includes(scope);
}
