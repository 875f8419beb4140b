import type { MiddlewareHandler } from "hono";
import { KeyRefusedError } from "../../db/key-gate";
import type { Caller } from "../../domain/caller";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";
import type { BudgetName, CredentialLimits } from "./credential-limits-port";

export type { BudgetName } from "./credential-limits-port";

/** The spec's defaults, per credential and minute. wrangler.toml's `simple.limit` values must match. */
export const DEFAULT_RATE_LIMITS = { conversions: 600, requests: 1_200 } as const;

const WINDOW_SECONDS = 60;

/** One budget: counts a credential's use and says whether it is still within it. */
export interface RateLimiter {
  readonly name: BudgetName;
  /** Requests allowed per window, as announced in `RateLimit-Policy`. */
  readonly limit: number;
  readonly windowSeconds: number;
  /** Counts `cost` uses for `identity`; `retryAfterSeconds` says when the window turns. */
  take(identity: string, cost?: number): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

/** Each credential's two budgets; and, when given, the entity's (all its credentials together) and the failed keys per address. */
export interface RateLimits {
  conversions: RateLimiter;
  requests: RateLimiter;
  entityConversions?: RateLimiter;
  entityRequests?: RateLimiter;
  /** Its `limit` is announced; it counts as a limiter of one less (see `createCredentialLimits`). */
  authFailures?: RateLimiter;
}

/** Seconds until the wall-clock-aligned window turns, at least 1. */
function secondsToNextWindow(nowMs: number, windowSeconds: number): number {
  const windowMs = windowSeconds * 1000;
  return Math.max(1, Math.ceil((windowMs - (nowMs % windowMs)) / 1000));
}

export interface InProcessRateLimiterOptions {
  name: BudgetName;
  limit: number;
  windowSeconds?: number;
  /**
   * Identities counted per window below their limit; past it the oldest of those is forgotten, so a flood of new
   * identities cannot exhaust memory. An identity that reached its limit is never forgotten before the window turns
   * (there can be at most one per `limit` uses).
   */
  maxIdentities?: number;
  now?: () => number;
}

/**
 * A fixed-window counter in this process's memory, windows aligned to the
 * wall clock (as Cloudflare's local simulation does). For the Node entry,
 * where one process serves every request.
 *
 * @example
 * const conversions = createInProcessRateLimiter({ name: "conversions", limit: 600 });
 * const { allowed } = await conversions.take(identity);
 */
export function createInProcessRateLimiter(options: InProcessRateLimiterOptions): RateLimiter {
  const { name, limit, windowSeconds = WINDOW_SECONDS, maxIdentities = 100_000, now = Date.now } = options;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`the ${name} rate limit must be a positive integer`);
  let window = -1;
  const counts = new Map<string, number>();
  const throttled = new Set<string>();
  return {
    name,
    limit,
    windowSeconds,
    async take(identity, cost = 1) {
      const at = now();
      const current = Math.floor(at / (windowSeconds * 1000));
      if (current !== window) {
        window = current;
        counts.clear();
        throttled.clear();
      }
      const retryAfterSeconds = secondsToNextWindow(at, windowSeconds);
      if (throttled.has(identity)) return { allowed: false, retryAfterSeconds };
      const used = counts.get(identity) ?? 0;
      // Like the Workers binding: allowed while below the limit, then the cost is added.
      if (used + cost >= limit) {
        counts.delete(identity);
        throttled.add(identity);
      } else {
        if (!counts.has(identity) && counts.size >= maxIdentities) counts.delete(counts.keys().next().value!);
        counts.set(identity, used + cost);
      }
      return { allowed: true, retryAfterSeconds };
    },
  };
}

/** Cloudflare's Workers Rate Limiting binding, as `[[ratelimits]]` in wrangler.toml declares it. */
export interface RateLimitBinding {
  limit(options: { key: string; delta?: number }): Promise<{ success: boolean }>;
}

export interface WorkersRateLimiterOptions {
  name: BudgetName;
  binding: RateLimitBinding;
  /** The binding's `simple.limit`, which the binding itself does not expose; announced in `RateLimit-Policy`. */
  limit: number;
  windowSeconds?: number;
  now?: () => number;
}

/**
 * A budget kept by the Workers Rate Limiting binding. Counts are per
 * Cloudflare location and approximate; the binding says only yes or no, so
 * `Retry-After` is the time to the next minute.
 *
 * @example
 * const conversions = createWorkersRateLimiter({ name: "conversions", binding: env.CONVERSIONS_RATE_LIMITER, limit: 600 });
 */
export function createWorkersRateLimiter(options: WorkersRateLimiterOptions): RateLimiter {
  const { name, binding, limit, windowSeconds = WINDOW_SECONDS, now = Date.now } = options;
  if (typeof binding?.limit !== "function") throw new TypeError(`the ${name} rate limit binding is missing`);
  return {
    name,
    limit,
    windowSeconds,
    async take(identity, cost = 1) {
      const { success } = await binding.limit({ key: `${name}:${identity}`, ...(cost === 1 ? {} : { delta: cost }) });
      return { allowed: success, retryAfterSeconds: secondsToNextWindow(now(), windowSeconds) };
    },
  };
}

/**
 * The caller's rate-limit identity, known without the database: a key's
 * SHA-256 (so floods of unknown or revoked keys are limited too), or a token's
 * entity and subject.
 */
export function rateLimitIdentity(actor: Caller): string {
  return actor.kind === "key" ? `key:${actor.keyHash}` : `jwt:${actor.financialEntityId}:${actor.subject}`;
}

/** The `RateLimit-Policy` value of one budget (IETF httpapi-ratelimit-headers). */
export function rateLimitPolicy(limiter: RateLimiter): string {
  return `"${limiter.name}";q=${limiter.limit};w=${limiter.windowSeconds}`;
}

/**
 * Spends one unit of the caller's budget; over it, 429 `rate_limited` with
 * `Retry-After` and `RateLimit-Policy`, before any database request. Goes
 * right after the bearer middleware.
 *
 * @example
 * app.post("/turn-lead-into-client", bodyLimit(…), bearerAuth(…), rateLimit(limits.conversions), …);
 */
export function rateLimit(limiter: RateLimiter): MiddlewareHandler<AppEnv> {
  if (typeof limiter?.take !== "function") throw new TypeError("rateLimit needs a RateLimiter");
  return async function rateLimit(c, next) {
    const limits = c.get("credentialLimits");
    const actor = c.get("actor");
    await spendBudget(limiter, actor, 1, limits);
    if (limits) await limits.holdBackFailingAddress(c, actor);
    await next();
    if (limits && c.error instanceof KeyRefusedError) await limits.recordFailure(c);
  };
}

/**
 * Spends `cost` units of the caller's budget, or throws the 429 `rate_limited`
 * problem. The middleware spends one; a bulk call spends one more per further
 * item once its body is known.
 */
export async function spendBudget(
  limiter: RateLimiter,
  actor: Caller,
  cost = 1,
  limits?: CredentialLimits,
): Promise<void> {
  const { allowed, retryAfterSeconds } = await limiter.take(rateLimitIdentity(actor), cost);
  if (!allowed) throw overBudgetError(limiter, retryAfterSeconds, "This credential");
  await limits?.spendEntityBudget(limiter.name, actor, cost);
}

/** The 429 `rate_limited` problem of one budget. */
export function overBudgetError(limiter: RateLimiter, retryAfterSeconds: number, who: string): ApiError {
  return new ApiError("rate_limited", `${who} is over its budget of ${limiter.limit} ${limiter.name} per minute.`, {
    headers: { "Retry-After": String(retryAfterSeconds), "RateLimit-Policy": rateLimitPolicy(limiter) },
  });
}
