import type { ConversionCommand, ConversionStore } from "../domain/conversion";
import type { Database } from "./client";
import { prepareConversionBatch } from "./conversion-batch";
import { callDatabase } from "./errors";
import { gatedBatch, type KeyVerdicts } from "./key-gate";

// Where the benchmark and the failure tests take the batches from.
export { prepareBulkConversionBatch } from "./bulk-conversion-batch";
export { prepareConversionBatch } from "./conversion-batch";
export { StoredValueError } from "./stored-values";

/** The key a conversion command acts as, as {@link gatedBatch} takes it; null for a token. */
export const keyOfCommand = (command: ConversionCommand) =>
  command.keyHash === null ? null : { keyHash: command.keyHash, at: command.at };

export interface ConversionStoreOptions {
  /** How long one attempt may take before it is reported as unavailable. */
  timeoutMs: number;
  /** What this isolate learned about keys: a refused key is never looked up again, and a known one waits for the lock. */
  keyVerdicts?: KeyVerdicts;
}

/**
 * The {@link ConversionStore} over libSQL: one `batch` call per attempt,
 * which over HTTP is one request to the database.
 *
 * @example
 * const store = createConversionStore(createDatabase(client), { timeoutMs: 5_000 });
 * const snapshot = await store.convert(command);
 */
export function createConversionStore(db: Database, options: ConversionStoreOptions): ConversionStore {
  const batch = prepareConversionBatch(db);
  return {
    async convert(command) {
      // "write" opens with BEGIN IMMEDIATE: the attempt takes the write lock
      // before it reads, so concurrent attempts queue instead of failing —
      // except a key not yet seen working, whose gate runs first (see gatedBatch).
      const results = await callDatabase(
        () => gatedBatch(db, batch.statementsFor(command), "write", keyOfCommand(command), options.keyVerdicts),
        options.timeoutMs,
      );
      return batch.snapshotFrom(results);
    },
  };
}
