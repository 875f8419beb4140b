// Measurements of benchmark issue 14 whose feature is not on this branch yet. Each
// key stays null in results.json, and RESULTS.md names the branch it waits for, until
// its module runs against the merged feature; then its entry leaves this list. Bulk:
// bench/bulk-calls.ts is written against branch `family` and waits to be called from run.ts.

export interface PendingPart {
  /** The item number. */
  item: number;
  name: string;
  /** The branch that brings the feature. */
  branch: string;
  keys: readonly string[];
}

export const PENDING: readonly PendingPart[] = [];

/** The pending keys, each null: not measured, never a guess. */
export function pendingKeys(): Record<string, null> {
  return Object.fromEntries(PENDING.flatMap((part) => part.keys.map((key) => [key, null])));
}
