import type { Context, MiddlewareHandler } from "hono";
import type { KeyVerdicts } from "../../db/key-gate";
import type { Caller } from "../../domain/caller";
import type { AppEnv } from "../types";
import type { CredentialLimits } from "./credential-limits-port";
import { overBudgetError, type RateLimiter } from "./rate-limit";

/** The failed keys one client address may send a minute (each costs one database request). */
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 30;

/** All credentials of one entity together get this many times one credential's budgets. */
export const ENTITY_BUDGET_FACTOR = 3;

/** Where a request comes from, as the runtime knows it; undefined when it does not. */
export type ClientAddress = (c: Context<AppEnv>) => string | undefined;

export type { CredentialLimits } from "./credential-limits-port";

export interface CredentialLimitsOptions {
  verdicts: KeyVerdicts;
  /**
   * Counts the failed keys of each client address. Its `limit` is what
   * `RateLimit-Policy` announces (30); it must count as a limiter whose limit
   * is one less (29): the failure that finds the counter at its limit is the
   * last the database sees, and the address is held back from then on.
   */
  authFailures: RateLimiter;
  /** All credentials of one entity together, per budget; absent: not limited. */
  entity?: { conversions?: RateLimiter; requests?: RateLimiter };
  clientAddress?: ClientAddress;
  now?: () => number;
}

const ADDRESSES_HELD_BACK_KEPT = 100_000;

/** The entity a caller acts for, when known without the database: a token's, or a key's that worked before here. */
function knownEntity(actor: Caller, verdicts: KeyVerdicts): string | undefined {
  return actor.kind === "jwt" ? actor.financialEntityId : verdicts.validEntity(actor.keyHash);
}

/**
 * The limits beside each credential's budgets: per entity (all its
 * credentials together), and per client address for keys that fail. A key
 * this isolate/process has not seen work counts toward its entity from its
 * next request on (its entity is known only to the database).
 *
 * @example
 * app.use(credentialLimits(createCredentialLimits({ verdicts, authFailures, entity })));
 */
export function createCredentialLimits(options: CredentialLimitsOptions): CredentialLimits {
  const { verdicts, authFailures, entity = {}, clientAddress = () => undefined, now = Date.now } = options;
  const heldBackUntil = new Map<string, number>();
  const addressOf = (c: Context<AppEnv>) => clientAddress(c) ?? "unknown";
  const heldBack = (address: string) => {
    const until = heldBackUntil.get(address);
    if (until === undefined) return 0;
    if (now() < until) return Math.max(1, Math.ceil((until - now()) / 1000));
    heldBackUntil.delete(address);
    return 0;
  };
  return {
    verdicts,
    async spendEntityBudget(budget, actor, cost) {
      const limiter =
        budget === "conversions" ? entity.conversions : budget === "requests" ? entity.requests : undefined;
      const entityId = limiter && knownEntity(actor, verdicts);
      if (!limiter || entityId === undefined) return;
      const { allowed, retryAfterSeconds } = await limiter.take(`entity:${entityId}`, cost);
      if (!allowed) throw overBudgetError(limiter, retryAfterSeconds, "This financial entity");
    },
    async holdBackFailingAddress(c, actor) {
      if (actor.kind !== "key" || verdicts.validEntity(actor.keyHash) !== undefined) return;
      const retryAfterSeconds = heldBack(addressOf(c));
      if (retryAfterSeconds > 0) throw overBudgetError(authFailures, retryAfterSeconds, "This client address");
    },
    async recordFailure(c) {
      const address = addressOf(c);
      const { allowed, retryAfterSeconds } = await authFailures.take(`address:${address}`);
      if (allowed) return;
      heldBackUntil.delete(address);
      if (heldBackUntil.size >= ADDRESSES_HELD_BACK_KEPT) heldBackUntil.delete(heldBackUntil.keys().next().value!);
      heldBackUntil.set(address, now() + retryAfterSeconds * 1000);
    },
  };
}

/**
 * Puts the app's {@link CredentialLimits} on the context, for the bearer and
 * rate-limit middleware of every route.
 */
export function credentialLimits(limits: CredentialLimits): MiddlewareHandler<AppEnv> {
  return async function credentialLimits(c, next) {
    c.set("credentialLimits", limits);
    await next();
  };
}
