import type { Context } from "hono";
import type { KeyVerdicts } from "../../db/key-gate";
import type { Caller } from "../../domain/caller";

// The limits' port, apart from their implementation: the app's env (types.ts) names it, and the
// implementation needs that env, so both import this module instead of each other.

/**
 * The two budgets of every credential: conversions (bulk items count one each), and everything else; the same
 * two for all credentials of one entity together; and the failed keys of one client address.
 */
export type BudgetName = "conversions" | "requests" | "entity-conversions" | "entity-requests" | "auth-failures";

/** What {@link rateLimit} asks beyond the credential's own budget. */
export interface CredentialLimits {
  verdicts: KeyVerdicts;
  spendEntityBudget(budget: BudgetName, actor: Caller, cost: number): Promise<void>;
  /** 429 `auth-failures` for a key not known valid, from an address whose failures are spent. */
  holdBackFailingAddress(c: Context, actor: Caller): Promise<void>;
  /** Counts one failed key (the database said unknown, revoked or expired) against the request's address. */
  recordFailure(c: Context): Promise<void>;
}
