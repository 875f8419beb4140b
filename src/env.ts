import * as z from "zod/mini";
import { DEFAULT_RATE_LIMITS, JWKS_ALGORITHMS, type JwksAlgorithm, secretByteLength } from "./http/auth";
import { DEFAULT_AUTH_FAILURES_PER_MINUTE, ENTITY_BUDGET_FACTOR } from "./http/auth/credential-limits";
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from "./webhooks/schedule";

const optionalText = z.pipe(
  z.optional(z.string()),
  // An empty value in .dev.vars or the dashboard means "not set".
  z.transform((value) => (value === undefined || value.trim() === "" ? undefined : value)),
);

// Keys fetched over plain HTTP could be swapped by anyone on the path; loopback is for tests and local work.
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isTrustedJwksUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
}

const integerBetween = <F extends number | undefined>(min: number, max: number, fallback: F) =>
  z.pipe(
    optionalText,
    z.transform((value, ctx): number | F => {
      if (value === undefined) return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.issues.push({ code: "custom", message: `must be an integer between ${min} and ${max}`, input: value });
        return z.NEVER;
      }
      return n;
    }),
  );

/** The environment variables, as they are spelled and checked; {@link configSchema} names them for the code. */
export const envVariables = z.object({
  TURSO_DATABASE_URL: z
    .string({ error: "is required" })
    .check(z.regex(/^(libsql|https?|file):/, "must be a libsql:, https:, http: or file: URL")),
  TURSO_AUTH_TOKEN: optionalText,
  JWT_SECRET: z
    .string({ error: "is required" })
    .check(z.refine((secret) => secretByteLength(secret) >= 32, "must be at least 32 bytes")),
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  DATABASE_TIMEOUT_MS: integerBetween(100, 60_000, 5_000),
  JWT_JWKS_URL: optionalText.check(
    z.refine(
      (url) => url === undefined || isTrustedJwksUrl(url),
      "must be an https: URL (plain http: only on localhost, 127.0.0.1 or [::1])",
    ),
  ),
  JWT_JWKS_ALGORITHMS: z.pipe(
    optionalText,
    z.transform((value, ctx) => {
      const names = (value ?? "RS256,ES256").split(/[\s,]+/).filter(Boolean);
      const unknown = names.filter((name) => !(JWKS_ALGORITHMS as readonly string[]).includes(name));
      if (unknown.length > 0 || names.length === 0) {
        ctx.issues.push({
          code: "custom",
          message: `must list algorithms among ${JWKS_ALGORITHMS.join(", ")}`,
          input: value,
        });
        return z.NEVER;
      }
      return names as JwksAlgorithm[];
    }),
  ),
  JWT_JWKS_CACHE_SECONDS: integerBetween(10, 86_400, 600),
  RATE_LIMIT_CONVERSIONS_PER_MINUTE: integerBetween(1, 1_000_000, DEFAULT_RATE_LIMITS.conversions),
  RATE_LIMIT_REQUESTS_PER_MINUTE: integerBetween(1, 1_000_000, DEFAULT_RATE_LIMITS.requests),
  // All credentials of one entity together; by default 3 × the credential's budget.
  RATE_LIMIT_ENTITY_CONVERSIONS_PER_MINUTE: integerBetween(1, 1_000_000, undefined),
  RATE_LIMIT_ENTITY_REQUESTS_PER_MINUTE: integerBetween(1, 1_000_000, undefined),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: integerBetween(2, 1_000_000, DEFAULT_AUTH_FAILURES_PER_MINUTE),
  TRUST_PROXY: z.pipe(
    optionalText,
    z.transform((value, ctx) => {
      if (value === undefined || value === "false") return false;
      if (value === "true") return true;
      ctx.issues.push({ code: "custom", message: "must be true or false", input: value });
      return z.NEVER;
    }),
  ),
  CORS_ALLOWED_ORIGINS: z.pipe(
    optionalText,
    z.transform((value, ctx) => {
      const origins = (value ?? "").split(/[\s,]+/).filter(Boolean);
      const bad = origins.filter((origin) => !/^https?:\/\/[^/\s]+$/.test(origin));
      if (bad.length > 0) {
        ctx.issues.push({
          code: "custom",
          message: "must list origins like https://app.example.com (no paths, no *)",
          input: value,
        });
        return z.NEVER;
      }
      return origins;
    }),
  ),
  // Conversion events (webhooks).
  WEBHOOK_RETRY_SCHEDULE: z.pipe(
    optionalText,
    z.transform((value, ctx) => {
      if (value === undefined) return [...DEFAULT_RETRY_SCHEDULE];
      const schedule = parseRetrySchedule(value);
      if (schedule === null) {
        ctx.issues.push({
          code: "custom",
          message: "must be comma-separated seconds (at most 43200 each), e.g. 0,5,300",
          input: value,
        });
        return z.NEVER;
      }
      return schedule;
    }),
  ),
  WEBHOOK_ALLOW_INSECURE_URLS: z.pipe(
    optionalText,
    z.transform((value, ctx) => {
      if (value === undefined || value === "false") return false;
      if (value === "true") return true;
      ctx.issues.push({ code: "custom", message: "must be true or false", input: value });
      return z.NEVER;
    }),
  ),
  WEBHOOK_SECRET_KEY: optionalText.check(
    z.refine(
      (key) => key === undefined || isBase64Key(key),
      "must be the base64 of 32 bytes (openssl rand -base64 32)",
    ),
  ),
});

function isBase64Key(key: string): boolean {
  try {
    return /^[A-Za-z0-9+/]{43}=$/.test(key) && atob(key).length === 32;
  } catch {
    return false;
  }
}

/**
 * The checked variables under the names the code uses, each written once.
 *
 * @example
 * z.pipe(envVariables, z.transform(toConfig)) // configSchema
 */
export const toConfig = (e: z.output<typeof envVariables>) => ({
  databaseUrl: e.TURSO_DATABASE_URL,
  databaseAuthToken: e.TURSO_AUTH_TOKEN,
  jwtSecret: e.JWT_SECRET,
  jwtIssuer: e.JWT_ISSUER,
  jwtAudience: e.JWT_AUDIENCE,
  /** How long one database call may take before the request answers 503. */
  databaseTimeoutMs: e.DATABASE_TIMEOUT_MS,
  /** When set, RS/ES/PS tokens are verified against this key set, alongside HS256. */
  jwksUrl: e.JWT_JWKS_URL,
  jwksAlgorithms: e.JWT_JWKS_ALGORITHMS,
  jwksCacheSeconds: e.JWT_JWKS_CACHE_SECONDS,
  /** Browser origins allowed by CORS; empty means no CORS. */
  corsOrigins: e.CORS_ALLOWED_ORIGINS,
  /** Seconds between webhook attempts (the first is the initial send). */
  webhookRetrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
  /** Local development only: webhook URLs may be http: and point anywhere. */
  webhookAllowInsecureUrls: e.WEBHOOK_ALLOW_INSECURE_URLS,
  /** AES-256-GCM key (base64) that seals endpoint secrets at rest; unset stores them as they are. */
  webhookSecretKey: e.WEBHOOK_SECRET_KEY,
  /**
   * Each credential's budgets per minute. The Node entry counts them itself; in
   * the Worker the rate-limit bindings count, and these are what `RateLimit-Policy` announces.
   */
  rateLimits: {
    conversions: e.RATE_LIMIT_CONVERSIONS_PER_MINUTE,
    requests: e.RATE_LIMIT_REQUESTS_PER_MINUTE,
    entityConversions:
      e.RATE_LIMIT_ENTITY_CONVERSIONS_PER_MINUTE ?? ENTITY_BUDGET_FACTOR * e.RATE_LIMIT_CONVERSIONS_PER_MINUTE,
    entityRequests: e.RATE_LIMIT_ENTITY_REQUESTS_PER_MINUTE ?? ENTITY_BUDGET_FACTOR * e.RATE_LIMIT_REQUESTS_PER_MINUTE,
    /** Failed keys per client address and minute (each cost one database request), then 429 before the database. */
    authFailures: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
  },
  /** Node entry: the client address is X-Forwarded-For's last entry (the proxy's view), not the socket's peer. */
  trustProxy: e.TRUST_PROXY,
});

/**
 * The parsed environment under the names the code uses. {@link Config} is
 * inferred from it: there is no hand-written twin to keep in step.
 */
export const configSchema = z.pipe(envVariables, z.transform(toConfig));

/** The service's configuration, as {@link parseEnv} returns it. */
export type Config = z.output<typeof configSchema>;

/** The configuration is unusable; the message names every offending variable, never a value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses an entry's environment with `schema` ({@link configSchema}, or an
 * entry's own that adds its bindings). Throws {@link ConfigError} naming each
 * missing or invalid variable, never its value.
 *
 * @example
 * const { config, bindings } = parseWith(workerEnvSchema, env);
 */
export function parseWith<S extends z.ZodMiniType>(schema: S, env: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}

/**
 * Parses the environment once, at an entry point. Throws {@link ConfigError}
 * naming each missing or invalid variable.
 *
 * @example
 * const config = parseEnv(process.env);
 */
export function parseEnv(env: Record<string, unknown>): Config {
  return parseWith(configSchema, env);
}
