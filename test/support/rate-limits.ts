/**
 * Waits, when needed, until at least `seconds` are left in the current
 * clock-aligned minute: rate-limit windows turn on the minute, and a test
 * that counts to a budget must not straddle one.
 */
export async function awayFromWindowEdge(seconds: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

const LOAD_BUDGET = 1_000_000;

/**
 * Budgets for tests that load one credential far past the spec's 600 a
 * minute on purpose (races, crash): the Node entry's variables and the
 * Worker's rate-limit bindings. Rate limits have their own tests.
 */
export const LOAD_TEST_BUDGETS = {
  env: { RATE_LIMIT_CONVERSIONS_PER_MINUTE: String(LOAD_BUDGET), RATE_LIMIT_REQUESTS_PER_MINUTE: String(LOAD_BUDGET) },
  bindings: {
    CONVERSIONS_RATE_LIMITER: { type: "ratelimit", namespace_id: "1001", simple: { limit: LOAD_BUDGET, period: 60 } },
    REQUESTS_RATE_LIMITER: { type: "ratelimit", namespace_id: "1002", simple: { limit: LOAD_BUDGET, period: 60 } },
    // The entity's budgets follow the credential's (3×, as the variables above imply on the Node entry).
    ENTITY_CONVERSIONS_RATE_LIMITER: {
      type: "ratelimit",
      namespace_id: "1003",
      simple: { limit: 3 * LOAD_BUDGET, period: 60 },
    },
    ENTITY_REQUESTS_RATE_LIMITER: {
      type: "ratelimit",
      namespace_id: "1004",
      simple: { limit: 3 * LOAD_BUDGET, period: 60 },
    },
  },
};
