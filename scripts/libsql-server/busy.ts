import { setTimeout as sleep } from "node:timers/promises";

export interface BusyRetryOptions {
  /** How long to keep retrying before the SQLITE_BUSY error is returned. */
  maxWaitMs: number;
  /** Asked after each SQLITE_BUSY: false when retrying could repeat work (e.g. SQLite rolled the transaction back). */
  canRetry: () => boolean;
}

const FIRST_DELAY_MS = 2;
const MAX_DELAY_MS = 50;

/**
 * Runs a synchronous engine call, retrying it while it fails with plain
 * SQLITE_BUSY. The waits are timers, so other streams keep running in between —
 * one of them is usually the one holding the lock.
 *
 * @example
 * const result = await retryWhileBusy(() => connection.execute(sql, args, true), {
 *   maxWaitMs: 5_000,
 *   canRetry: () => true,
 * });
 */
export async function retryWhileBusy<T>(attempt: () => T, { maxWaitMs, canRetry }: BusyRetryOptions): Promise<T> {
  const deadline = Date.now() + maxWaitMs;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    try {
      return attempt();
    } catch (error) {
      // SQLITE_BUSY_SNAPSHOT and friends never clear by waiting: the transaction has to start over.
      const remainingMs = deadline - Date.now();
      if (errorCode(error) !== "SQLITE_BUSY" || !canRetry() || remainingMs <= 0) throw error;
      await sleep(Math.min(delay, remainingMs));
    }
  }
}

/**
 * True for SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, …).
 *
 * @example
 * isBusy(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" })); // true
 */
export function isBusy(error: unknown): boolean {
  return errorCode(error)?.startsWith("SQLITE_BUSY") ?? false;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
