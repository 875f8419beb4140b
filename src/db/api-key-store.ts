import { and, asc, count, eq, isNull, sql } from "drizzle-orm";
import type { ApiKey } from "../domain/api-key";
import type { ApiKeyScope } from "../domain/scopes";
import { type Database, toStatement } from "./client";
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

/** Keys that are not revoked one entity may hold at once. */
export const MAX_LIVE_API_KEYS = 100;

/** What creating a key came to. */
export type CreatedApiKey =
  | { kind: "created"; key: ApiKey }
  | { kind: "financial_entity_not_found" }
  | { kind: "limit_reached" };

/** Integration keys of one entity. Every operation is one database request. */
export interface ApiKeyStore {
  /** Stores the key, unless the entity does not exist or already holds {@link MAX_LIVE_API_KEYS} live keys. */
  create(key: NewApiKey): Promise<CreatedApiKey>;
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
      const liveKeys = db
        .select({ live: count() })
        .from(apiKeys)
        .where(and(eq(apiKeys.financialEntityId, key.financialEntityId), isNull(apiKeys.revokedAt)));
      // INSERT … SELECT: a missing entity, or one at its limit, inserts nothing; the read after says which.
      const insert = db
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
            .where(and(eq(financialEntities.id, key.financialEntityId), sql`(${liveKeys}) < ${MAX_LIVE_API_KEYS}`)),
        )
        .returning(publicColumns)
        .prepare();
      const entity = db
        .select({ one: sql`1` })
        .from(financialEntities)
        .where(eq(financialEntities.id, key.financialEntityId));
      // One batch, one request: the insert decides, the read says why it did nothing.
      const [inserted, found] = await call(() =>
        db.$client.batch([insert.getQuery(), entity.getSQL()].map(toStatement), "write"),
      );
      const row = inserted!.rows[0];
      if (row) return { kind: "created", key: (insert.mapResult(inserted!, true) as ApiKey[])[0]! };
      return found!.rows.length === 0 ? { kind: "financial_entity_not_found" } : { kind: "limit_reached" };
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
