import { and, asc, eq, sql } from "drizzle-orm";
import type { ApiKey } from "../domain/api-key";
import type { ApiKeyScope } from "../domain/scopes";
import type { Database } from "./client";
import { callDatabase } from "./errors";
import { apiKeys, financialEntities } from "./schema";

/** A key to store: everything but the text itself. */
export interface NewApiKey {
  id: string;
  financialEntityId: string;
  name: string;
  scopes: ApiKeyScope[];
  keyHash: string;
  prefix: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
}

/** Integration keys of one entity. Every operation is one database request. */
export interface ApiKeyStore {
  /** Stores the key; null when the entity does not exist. */
  create(key: NewApiKey): Promise<ApiKey | null>;
  list(financialEntityId: string): Promise<ApiKey[]>;
  /** Revokes the key (keeping the first revocation time); false when the entity has no such key. */
  revoke(financialEntityId: string, id: string, at: string): Promise<boolean>;
}

const publicColumns = {
  id: apiKeys.id,
  financialEntityId: apiKeys.financialEntityId,
  name: apiKeys.name,
  scopes: apiKeys.scopes,
  prefix: apiKeys.prefix,
  createdAt: apiKeys.createdAt,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

/**
 * The {@link ApiKeyStore} over libSQL.
 *
 * @example
 * const keys = createApiKeyStore(db, { timeoutMs: 5_000 });
 * await keys.revoke(entityId, keyId, new Date().toISOString());
 */
export function createApiKeyStore(db: Database, options: { timeoutMs: number }): ApiKeyStore {
  const call = <T>(work: () => Promise<T>) => callDatabase(work, options.timeoutMs);
  return {
    async create(key) {
      // INSERT … SELECT: a missing entity inserts nothing, in the same single request.
      const rows = await call(() =>
        db
          .insert(apiKeys)
          .select(
            db
              .select({
                id: sql`${key.id}`.as("id"),
                financialEntityId: financialEntities.id,
                name: sql`${key.name}`.as("name"),
                scopes: sql`${JSON.stringify(key.scopes)}`.as("scopes"),
                keyHash: sql`${key.keyHash}`.as("key_hash"),
                prefix: sql`${key.prefix}`.as("prefix"),
                createdBy: sql`${key.createdBy}`.as("created_by"),
                createdAt: sql`${key.createdAt}`.as("created_at"),
                expiresAt: sql`${key.expiresAt}`.as("expires_at"),
                revokedAt: sql`null`.as("revoked_at"),
                lastUsedAt: sql`null`.as("last_used_at"),
              })
              .from(financialEntities)
              .where(eq(financialEntities.id, key.financialEntityId)),
          )
          .returning(publicColumns),
      );
      return (rows[0] as ApiKey | undefined) ?? null;
    },
    async list(financialEntityId) {
      const rows = await call(() =>
        db
          .select(publicColumns)
          .from(apiKeys)
          .where(eq(apiKeys.financialEntityId, financialEntityId))
          .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)),
      );
      return rows as ApiKey[];
    },
    async revoke(financialEntityId, id, at) {
      const rows = await call(() =>
        db
          .update(apiKeys)
          .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${at})` })
          .where(and(eq(apiKeys.id, id), eq(apiKeys.financialEntityId, financialEntityId)))
          .returning({ id: apiKeys.id }),
      );
      return rows.length > 0;
    },
  };
}
