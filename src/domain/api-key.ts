/** What an integration key may be allowed to do. `keys:manage` is never among them: keys cannot manage keys. */
export const API_KEY_SCOPES = ["leads:convert", "leads:read", "users:read", "webhooks:manage"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** The scope a token needs (when it carries scopes) to create, list and revoke keys. */
export const MANAGE_KEYS_SCOPE = "keys:manage";

/** An integration key as its owner sees it; the key text itself is never stored. */
export interface ApiKey {
  id: string;
  financialEntityId: string;
  name: string;
  scopes: ApiKeyScope[];
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** The key's row as a request's own batch read it; null when no key has the hash. */
export interface ApiKeySnapshot {
  id: string;
  financialEntityId: string;
  scopes: readonly string[];
  expiresAt: string | null;
  revokedAt: string | null;
}

/**
 * Who a read acts for, as its one database request needs it: a verified
 * token's entity, or an integration key known only by its hash (its row is
 * read by the same request), judged at the instant `at`.
 */
export type Credential = { entityId: string } | { keyHash: string; at: string };

export type KeyRefusal = { kind: "unauthorized" } | { kind: "insufficient_scope" } | { kind: "forbidden" };

/**
 * Says whether a key, as the batch saw it, may act: unknown, revoked and
 * expired keys are one and the same refusal (the caller must not learn which);
 * then the scope, then the entity — the order a token's checks follow. A
 * request that names no entity (the webhook endpoints, the events API) acts
 * for the key's own, so only the first two apply.
 *
 * @example
 * decideKeyAccess(snapshot.apiKey, { at, scope: "leads:convert", financialEntityId }) // → null when allowed
 * decideKeyAccess(read.apiKey, { at, scope: "webhooks:manage" }) // the key's own entity
 */
export function decideKeyAccess(
  key: ApiKeySnapshot | null,
  request: { at: string; scope: string; financialEntityId?: string },
): KeyRefusal | null {
  if (key === null || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= request.at)) {
    return { kind: "unauthorized" };
  }
  if (!key.scopes.includes(request.scope)) return { kind: "insufficient_scope" };
  if (request.financialEntityId !== undefined && key.financialEntityId !== request.financialEntityId) return { kind: "forbidden" };
  return null;
}
