import type { InStatement } from "@libsql/client/http";
import type { BulkConversionStore } from "../domain/convert-leads-to-clients";
import type { Database } from "./client";
import { prepareConversionBatch } from "./conversion-store";
import { callDatabase } from "./errors";

export interface BulkConversionStoreOptions {
  /** How long one call may take before it is reported as unavailable. */
  timeoutMs: number;
}

/**
 * The {@link BulkConversionStore} over libSQL: the single conversion's own
 * statements, repeated per lead with that lead's parameters, in request order,
 * all in one `batch` — one request to the database whatever the number of
 * leads. Each lead's statements decide for themselves, so each lead is atomic
 * on its own and sees what the leads before it wrote (a second lead with the
 * same NIT finds the first one's client).
 *
 * @example
 * const snapshots = await createBulkConversionStore(db, { timeoutMs: 5_000 }).convertMany(commands);
 */
export function createBulkConversionStore(db: Database, options: BulkConversionStoreOptions): BulkConversionStore {
  const batch = prepareConversionBatch(db);
  return {
    async convertMany(commands) {
      const perCommand = commands.map((command) => batch.statementsFor(command));
      const statements: InStatement[] = perCommand.flat();
      // "write" opens with BEGIN IMMEDIATE, as the single conversion does.
      const results = await callDatabase(() => db.$client.batch(statements, "write"), options.timeoutMs);
      let offset = 0;
      return perCommand.map((own) => {
        const snapshot = batch.snapshotFrom(results.slice(offset, offset + own.length));
        offset += own.length;
        return snapshot;
      });
    },
  };
}
