import type { InStatement, ResultSet, TransactionMode } from "@libsql/client/http";
import { sql } from "drizzle-orm";
import { type Database, toStatement } from "./client";
import { apiKeys } from "./schema";

// The path json_extract is handed for a key that may not act: not a JSON path, so the statement fails.
const REFUSED_MARKER = "integration key refused";

/**
 * The database said the key is unknown, revoked or expired (final states: the
 * key's text is random, it cannot become valid later). Answered 401.
 */
export class KeyRefusedError extends Error {
  override name = "KeyRefusedError";
}

/**
 * What this isolate/process learned from the database about keys, so that it
 * need not ask again: keys that failed (not looked up again for at least
 * {@link REFUSED_KEYS_KEPT_MS}), and keys that worked, with their entity.
 */
export interface KeyVerdicts {
  isRefused(keyHash: string): boolean;
  /** The entity of a key that worked before in this isolate/process. */
  validEntity(keyHash: string): string | undefined;
  refused(keyHash: string): void;
  valid(keyHash: string, financialEntityId: string): void;
}

/** How long a refused key is remembered, at least. */
export const REFUSED_KEYS_KEPT_MS = 10 * 60_000;
const REFUSED_KEYS_KEPT = 100_000;
const VALID_KEYS_KEPT = 10_000;

/**
 * {@link KeyVerdicts} in memory, bounded: past its size the oldest verdict is
 * forgotten (a forgotten refused key costs one more lookup — which the
 * per-address budget bounds).
 *
 * @example
 * const verdicts = createKeyVerdicts();
 * verdicts.refused(hash); verdicts.isRefused(hash); // → true
 */
export function createKeyVerdicts(now: () => number = Date.now): KeyVerdicts {
  const refusedAt = new Map<string, number>();
  const validEntities = new Map<string, string>();
  const remember = <V>(map: Map<string, V>, key: string, value: V, kept: number) => {
    map.delete(key);
    if (map.size >= kept) map.delete(map.keys().next().value!);
    map.set(key, value);
  };
  return {
    isRefused(keyHash) {
      const at = refusedAt.get(keyHash);
      if (at === undefined) return false;
      if (now() - at < REFUSED_KEYS_KEPT_MS) return true;
      refusedAt.delete(keyHash);
      return false;
    },
    validEntity: (keyHash) => validEntities.get(keyHash),
    refused(keyHash) {
      validEntities.delete(keyHash);
      remember(refusedAt, keyHash, now(), REFUSED_KEYS_KEPT);
    },
    valid: (keyHash, financialEntityId) => remember(validEntities, keyHash, financialEntityId, VALID_KEYS_KEPT),
  };
}

/**
 * The statement that opens every batch acting as a key: it reads the key's
 * entity when the key is usable at `at`, and otherwise FAILS — json_extract is
 * handed a path that is not one — so the batch stops there, before any write
 * statement. SQLite takes the write lock when a write statement starts (not
 * when it changes a row), so a refused key never takes it.
 */
function keyGate(keyHash: string, at: string): InStatement {
  const usable = sql`${apiKeys.keyHash} = ${keyHash} and ${apiKeys.revokedAt} is null and (${apiKeys.expiresAt} is null or ${apiKeys.expiresAt} > ${at})`;
  return toStatement(
    sql`select json_extract('{}', coalesce((select '$' from ${apiKeys} where ${usable}), ${REFUSED_MARKER})) as gate,
      (select ${apiKeys.financialEntityId} from ${apiKeys} where ${usable}) as financial_entity_id`,
  );
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 5; ) {
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

const isGateRefusal = (error: unknown) =>
  causes(error).some((e) => e instanceof Error && e.message.includes(REFUSED_MARKER));

const isBusy = (error: unknown) =>
  causes(error).some((e) => String((e as { code?: unknown })?.code ?? "").startsWith("SQLITE_BUSY"));

/** The index in the batch of the statement that failed, where the client says (LibsqlBatchError). */
const failedStatement = (error: unknown) => (error as { statementIndex?: unknown })?.statementIndex;

/**
 * Runs one request's batch, acting as `key` when there is one: the gate first
 * (see {@link keyGate}), then the request's statements, in ONE batch. A key
 * this isolate has not seen work runs in a deferred transaction, which takes
 * the write lock only at its first write statement — after the gate passed;
 * a key that worked before, and a token, run as before ("write": BEGIN
 * IMMEDIATE, waiting for the lock). Should a deferred batch of a key that
 * passed the gate meet another writer's lock (the engine does not wait for a
 * lock a reading transaction asks for), it runs once more as "write" — the
 * only case in which a request makes a second database request.
 *
 * Returns the results of `statements` only; throws {@link KeyRefusedError}
 * for an unknown, revoked or expired key, remembering it in `verdicts`.
 *
 * @example
 * const results = await gatedBatch(db, statements, "write", { keyHash, at }, verdicts);
 */
export async function gatedBatch(
  db: Database,
  statements: InStatement[],
  mode: TransactionMode,
  key: { keyHash: string; at: string } | null,
  verdicts?: KeyVerdicts,
): Promise<ResultSet[]> {
  if (key === null) return db.$client.batch(statements, mode);
  const gated = [keyGate(key.keyHash, key.at), ...statements];
  const knownValid = verdicts?.validEntity(key.keyHash) !== undefined;
  const firstMode: TransactionMode = mode === "write" && !knownValid ? "deferred" : mode;
  const run = async (runMode: TransactionMode) => {
    try {
      return await db.$client.batch(gated, runMode);
    } catch (error) {
      if (!isGateRefusal(error)) throw error;
      verdicts?.refused(key.keyHash);
      throw new KeyRefusedError("the integration key is unknown, revoked or expired");
    }
  };
  let results: ResultSet[];
  try {
    results = await run(firstMode);
  } catch (error) {
    const index = failedStatement(error);
    const passedGate = typeof index === "number" && index > 0;
    if (firstMode !== "deferred" || !isBusy(error) || !passedGate) throw error;
    results = await run("write");
  }
  const entity = results[0]?.rows[0]?.financial_entity_id;
  if (typeof entity === "string") verdicts?.valid(key.keyHash, entity);
  return results.slice(1);
}

/** The key an acting caller holds, as {@link gatedBatch} takes it; null for a token. */
export function gateKeyOf(acting: { caller: { kind: string; keyHash?: string }; at: string }) {
  return acting.caller.kind === "key" ? { keyHash: acting.caller.keyHash!, at: acting.at } : null;
}
