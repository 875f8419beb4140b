import type { InStatement } from "@libsql/client/http";
import type { BulkConversionStore } from "../domain/convert-leads-to-clients";
import { prepareBulkConversionBatch } from "./bulk-conversion-batch";
import type { Database } from "./client";
import { prepareConversionBatch } from "./conversion-batch";
import { keyOfCommand } from "./conversion-store";
import { callDatabase } from "./errors";
import { gatedBatch, type KeyVerdicts } from "./key-gate";

export interface BulkConversionStoreOptions {
  /** How long one call may take before it is reported as unavailable. */
  timeoutMs: number;
  /** What this isolate learned about keys: a refused key is never looked up again, and a known one waits for the lock. */
  keyVerdicts?: KeyVerdicts;
}

/**
 * The {@link BulkConversionStore} over libSQL, one `batch` — one request to
 * the database — whatever the number of leads. Rejecting existing clients,
 * the single conversion's statements run once for all the leads, driven by
 * the call's items ({@link prepareBulkConversionBatch}): seven statements for
 * one lead or a hundred. Linking fills a client from the leads in turn, so
 * with `"link"` each lead gets the single conversion's own statements, with
 * its own parameters, in request order. Either way each lead is decided by the
 * single conversion's rules and is atomic on its own, and a lead sees what the
 * leads before it wrote (a second lead with the same NIT finds the first
 * one's client).
 *
 * @example
 * const snapshots = await createBulkConversionStore(db, { timeoutMs: 5_000 }).convertMany(commands);
 */
export function createBulkConversionStore(db: Database, options: BulkConversionStoreOptions): BulkConversionStore {
  const batch = prepareConversionBatch(db);
  const allAtOnce = prepareBulkConversionBatch(db);
  return {
    async convertMany(commands) {
      // Every command of a call shares the credential.
      const key = commands[0] ? keyOfCommand(commands[0]) : null;
      if (commands[0]?.onExistingClient !== "link") {
        // "write" opens with BEGIN IMMEDIATE, as the single conversion does.
        const results = await callDatabase(
          () => gatedBatch(db, allAtOnce.statementsFor(commands), "write", key, options.keyVerdicts),
          options.timeoutMs,
        );
        return allAtOnce.snapshotsFrom(results);
      }
      const perCommand = commands.map((command) => batch.statementsFor(command));
      const statements: InStatement[] = perCommand.flat();
      // "write" opens with BEGIN IMMEDIATE, as the single conversion does.
      const results = await callDatabase(
        () => gatedBatch(db, statements, "write", key, options.keyVerdicts),
        options.timeoutMs,
      );
      let offset = 0;
      return perCommand.map((own) => {
        const snapshot = batch.snapshotFrom(results.slice(offset, offset + own.length));
        offset += own.length;
        return snapshot;
      });
    },
  };
}
