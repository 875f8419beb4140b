import type { SQL } from "drizzle-orm";
import type { Acting } from "../domain/caller";
import { actingAs } from "./acting-as";
import { type Database, toStatement } from "./client";
import { callDatabase } from "./errors";
import { gatedBatch, gateKeyOf, type KeyVerdicts } from "./key-gate";

/** A select as Drizzle's `.prepare()` gives it: its SQL, and how to map the rows it answered. */
export interface PreparedRead {
  getQuery(): { sql: string; params: unknown[] };
  mapResult(result: unknown, isFromBatch?: boolean): unknown;
}

export interface GatedReadOptions {
  /** How long the read may take before it is reported as unavailable. */
  timeoutMs: number;
  /** What this isolate learned about keys: a refused key is never looked up again (and counts as the address's failure). */
  keyVerdicts?: KeyVerdicts;
}

/**
 * Runs one read for the caller as one database request: the read between the
 * credential's own statements (see `actingAs`), behind the key gate (an
 * unknown, revoked or expired key fails the batch before the read, and is
 * remembered). `build` gets the entity the read acts for, as SQL.
 *
 * @example
 * const { apiKey, query, result } = await gatedRead(db, as, "users:read", (entity) => select(entity), options);
 * const rows = query.mapResult(result, true);
 */
export async function gatedRead<Q extends PreparedRead>(
  db: Database,
  as: Acting,
  scope: string,
  build: (entity: SQL) => Q,
  options: GatedReadOptions,
) {
  const around = actingAs(as, { writes: false, scope });
  const query = build(around.entity);
  const results = await callDatabase(
    () =>
      gatedBatch(
        db,
        [...around.before, query.getQuery(), ...around.after].map(toStatement),
        "read",
        gateKeyOf(as),
        options.keyVerdicts,
      ),
    options.timeoutMs,
  );
  const { apiKey, result } = around.split(results);
  return { apiKey, query, result: result[0] };
}
