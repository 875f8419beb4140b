import type { ConversionStore } from "../domain/conversion";
import type { Database } from "./client";
import { prepareConversionBatch } from "./conversion-batch";
import { callDatabase } from "./errors";

// Where the benchmark and the failure tests take the batches from.
export { prepareBulkConversionBatch } from "./bulk-conversion-batch";
export { prepareConversionBatch } from "./conversion-batch";
export { StoredValueError } from "./stored-values";

export interface ConversionStoreOptions {
  /** How long one attempt may take before it is reported as unavailable. */
  timeoutMs: number;
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
      // before it reads, so concurrent attempts queue instead of failing.
      const results = await callDatabase(
        () => db.$client.batch(batch.statementsFor(command), "write"),
        options.timeoutMs,
      );
      return batch.snapshotFrom(results);
    },
  };
}
