import type { ApiKeyScope } from "./scopes";

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

export type KeyRefusal = { kind: "unauthorized" } | { kind: "insufficient_scope" } | { kind: "forbidden" };

/** The refusals left when the request names no entity and so acts for the key's own. */
export type OwnKeyRefusal = Exclude<KeyRefusal, { kind: "forbidden" }>;

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
  const refusal = decideOwnKeyAccess(key, request);
  if (refusal !== null || request.financialEntityId === undefined) return refusal;
  // Not refused above, so the batch found the key's row.
  return key!.financialEntityId === request.financialEntityId ? null : { kind: "forbidden" };
}

/**
 * {@link decideKeyAccess} for a request that names no entity — the reads, the
 * webhook endpoints, the events API: it acts for the key's own, so only an
 * unusable key and a missing scope refuse it. `key` is as the request's batch
 * reported it: absent or null when no key has the hash.
 *
 * @example
 * const refusal = decideOwnKeyAccess(read.apiKey, { at, scope: "users:read" });
 * if (refusal !== null) return refusal; // { kind: "unauthorized" } or { kind: "insufficient_scope" }
 */
export function decideOwnKeyAccess(
  key: ApiKeySnapshot | null | undefined,
  request: { at: string; scope: string },
): OwnKeyRefusal | null {
  if (!key || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= request.at))
    return { kind: "unauthorized" };
  if (!key.scopes.includes(request.scope)) return { kind: "insufficient_scope" };
  return null;
}
