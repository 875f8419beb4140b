import * as z from "zod/mini";
import { envVariables, parseWith, toConfig } from "./env";
import type { RateLimitBinding } from "./http/auth/rate-limit";
import type { EventsQueue } from "./webhooks/queue";

/** Workers static assets: the OpenAPI document and Scalar's browser bundle, written by scripts/assets.ts. */
export type AssetsBinding = { fetch(request: Request | URL): Promise<Response> };

/** An optional binding: absent, or an object with these methods (anything else is a broken deployment). */
const binding = <T>(kind: string, ...methods: string[]) =>
  z.optional(
    z.custom<T>(
      (value) =>
        typeof value === "object" &&
        value !== null &&
        methods.every((name) => typeof (value as Record<string, unknown>)[name] === "function"),
      `must be a ${kind} binding`,
    ),
  );

/**
 * The Worker's env, variables and bindings, read by one parse at the entry:
 * the service's configuration plus what wrangler.toml binds.
 */
const workerEnvSchema = z.pipe(
  z.extend(envVariables, {
    // A Worker opens no file: the database is reached over HTTP.
    TURSO_DATABASE_URL: envVariables.shape.TURSO_DATABASE_URL.check(
      z.refine(
        (url) => !url.startsWith("file:"),
        "must be a libsql:, https: or http: URL in a Worker (npm start serves a file: database over HTTP)",
      ),
    ),
    ASSETS: binding<AssetsBinding>("static assets", "fetch"),
    EVENTS_QUEUE: binding<EventsQueue>("queue producer", "send", "sendBatch"),
    CONVERSIONS_RATE_LIMITER: binding<RateLimitBinding>("rate limiting", "limit"),
    REQUESTS_RATE_LIMITER: binding<RateLimitBinding>("rate limiting", "limit"),
    ENTITY_CONVERSIONS_RATE_LIMITER: binding<RateLimitBinding>("rate limiting", "limit"),
    ENTITY_REQUESTS_RATE_LIMITER: binding<RateLimitBinding>("rate limiting", "limit"),
    AUTH_FAILURES_RATE_LIMITER: binding<RateLimitBinding>("rate limiting", "limit"),
  }),
  z.transform((e) => ({
    config: toConfig(e),
    bindings: {
      assets: e.ASSETS,
      queue: e.EVENTS_QUEUE,
      /** The `[[ratelimits]]` bindings; without either, each isolate counts for itself. */
      rateLimiters:
        e.CONVERSIONS_RATE_LIMITER && e.REQUESTS_RATE_LIMITER
          ? { conversions: e.CONVERSIONS_RATE_LIMITER, requests: e.REQUESTS_RATE_LIMITER }
          : undefined,
      /** The entity and failed-key bindings; each one missing is counted in the isolate instead. */
      entityConversions: e.ENTITY_CONVERSIONS_RATE_LIMITER,
      entityRequests: e.ENTITY_REQUESTS_RATE_LIMITER,
      authFailures: e.AUTH_FAILURES_RATE_LIMITER,
    },
  })),
);

/** What the Worker's env parses into. */
export type WorkerEnv = z.output<typeof workerEnvSchema>;

/**
 * Parses the Worker's env once per isolate. Throws `ConfigError` naming each
 * missing or invalid variable or binding, never a value.
 *
 * @example
 * const { config, bindings } = parseWorkerEnv(env);
 */
export function parseWorkerEnv(env: Record<string, unknown>): WorkerEnv {
  return parseWith(workerEnvSchema, env);
}
