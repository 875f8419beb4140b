import type { ResultSet, Row } from "@libsql/client/http";
import { type SQL, sql } from "drizzle-orm";
import type { ApiKeySnapshot } from "../domain/api-key";
import type { Acting } from "../domain/caller";
import { WEBHOOKS_SCOPE } from "../domain/scopes";
import { apiKeys } from "./schema";

/** What a batch reports beside its own results: the key's row as it saw it, for a key. */
export interface Acted<T> {
  /** Absent for a token; null when no key has the hash. */
  apiKey?: ApiKeySnapshot | null;
  result: T;
}

const k = apiKeys;

const keyIsUsable = (keyHash: string, at: string) =>
  sql`${k.keyHash} = ${keyHash} and ${k.revokedAt} is null and (${k.expiresAt} is null or ${k.expiresAt} > ${at})`;

/**
 * The statements one request (a read, a webhook or events call) runs around
 * its own, so that the whole request stays one batch. For a token, the entity is a bound value and
 * nothing is added. For a key, the entity is the key's own — a subquery that
 * is NULL unless the key is live and carries the scope (`webhooks:manage` by
 * default; the reads pass theirs), so every
 * statement comparing against it acts on nothing otherwise — a write first
 * touches `last_used_at` (as the conversion does: when the key is live), and
 * the batch ends by reading the key's row for the domain to decide. Unknown,
 * revoked and expired keys run exactly these statements; only the hash differs.
 *
 * @example
 * const acting = actingAs({ caller, at }, { writes: true });
 * const results = await batch([...acting.before, sql`update … where entity = ${acting.entity}`, ...acting.after]);
 * const { apiKey, result } = acting.split(results);
 */
export function actingAs(
  { caller, at }: Acting,
  { writes, scope = WEBHOOKS_SCOPE }: { writes: boolean; scope?: string },
) {
  if (caller.kind === "jwt") {
    return {
      entity: sql`${caller.financialEntityId}`,
      before: [] as SQL[],
      after: [] as SQL[],
      split: (results: ResultSet[]): Acted<ResultSet[]> => ({ result: results }),
    };
  }
  const { keyHash } = caller;
  const before = writes ? [sql`update ${k} set "last_used_at" = ${at} where ${keyIsUsable(keyHash, at)}`] : [];
  return {
    entity: sql`(select ${k.financialEntityId} from ${k} where ${keyIsUsable(keyHash, at)}
      and exists (select 1 from json_each(${k.scopes}) where value = ${scope}))`,
    before,
    after: [
      sql`select ${k.id} as id, ${k.financialEntityId} as financial_entity_id, ${k.scopes} as scopes,
        ${k.expiresAt} as expires_at, ${k.revokedAt} as revoked_at from ${k} where ${k.keyHash} = ${keyHash}`,
    ],
    split: (results: ResultSet[]): Acted<ResultSet[]> => {
      const row = results.at(-1)!.rows[0];
      return { apiKey: row ? toKeySnapshot(row) : null, result: results.slice(before.length, -1) };
    },
  };
}

function toKeySnapshot(row: Row): ApiKeySnapshot {
  let scopes: unknown;
  try {
    scopes = JSON.parse(String(row.scopes));
  } catch {
    scopes = [];
  }
  return {
    id: String(row.id),
    financialEntityId: String(row.financial_entity_id),
    // A row written by another tool may hold anything: what is not a list of strings grants nothing.
    scopes: Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : [],
    expiresAt: row.expires_at === null ? null : String(row.expires_at),
    revokedAt: row.revoked_at === null ? null : String(row.revoked_at),
  };
}
