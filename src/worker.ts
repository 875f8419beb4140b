import type { ExecutionContext } from "hono";
import { createApp, failedKeysCounter, inProcessRateLimits } from "./app";
import { openRemoteDatabase } from "./db/client";
import { ConfigError } from "./env";
import { authOptions, createWorkersRateLimiter, type RateLimits } from "./http/auth";
import { createMisconfiguredApp } from "./http/misconfigured";
import { jsonLogger } from "./log";
import {
  consumeEvents,
  type EventsBatch,
  type EventsQueue,
  queueAnnouncer,
  sweepDueDeliveries,
} from "./webhooks/queue";
import type { RunnerDeps } from "./webhooks/run";
import { webhookRunnerDeps } from "./webhooks/runner-deps";
import { parseWorkerEnv, type WorkerEnv } from "./worker-env";

type Fetch = (request: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>;

/**
 * The `[[ratelimits]]` bindings of wrangler.toml. Without them (a deployment
 * that dropped them) each isolate still counts for itself rather than not at all.
 */
function workerRateLimits({ config, bindings }: WorkerEnv): RateLimits {
  const inIsolate = inProcessRateLimits(config.rateLimits);
  const { entityConversions, entityRequests, authFailures } = bindings;
  const limits = config.rateLimits;
  return {
    ...inIsolate,
    ...(bindings.rateLimiters && {
      conversions: createWorkersRateLimiter({
        name: "conversions",
        binding: bindings.rateLimiters.conversions,
        limit: limits.conversions,
      }),
      requests: createWorkersRateLimiter({
        name: "requests",
        binding: bindings.rateLimiters.requests,
        limit: limits.requests,
      }),
    }),
    ...(entityConversions && {
      entityConversions: createWorkersRateLimiter({
        name: "entity-conversions",
        binding: entityConversions,
        limit: limits.entityConversions,
      }),
    }),
    ...(entityRequests && {
      entityRequests: createWorkersRateLimiter({
        name: "entity-requests",
        binding: entityRequests,
        limit: limits.entityRequests,
      }),
    }),
    ...(authFailures && {
      // The binding's own limit is one less than announced (wrangler.toml).
      authFailures: failedKeysCounter(
        createWorkersRateLimiter({ name: "auth-failures", binding: authFailures, limit: limits.authFailures }),
        limits.authFailures,
      ),
    }),
  };
}

/** What one isolate builds from its env: the app, and the webhook runner with its queue. */
interface Runtime {
  app: { fetch: Fetch };
  webhooks?: { deps: RunnerDeps; queue: EventsQueue };
}

function buildApp(env: WorkerEnv): Runtime {
  const { config } = env;
  const { assets, queue } = env.bindings;
  const db = openRemoteDatabase({
    url: config.databaseUrl,
    authToken: config.databaseAuthToken,
    timeoutMs: config.databaseTimeoutMs,
  });
  const app = createApp({
    db,
    auth: authOptions(config),
    corsOrigins: config.corsOrigins,
    databaseTimeoutMs: config.databaseTimeoutMs,
    logger: jsonLogger,
    rateLimits: workerRateLimits(env),
    // Set by Cloudflare's edge (and by wrangler dev) to the address the request came from; a client cannot forge it.
    clientAddress: (c) => c.req.header("CF-Connecting-IP"),
    assets: async (path, request) => {
      const res = await assets?.fetch(new URL(path, request.url));
      return res?.ok ? res : null;
    },
    webhooks: {
      allowInsecureUrls: config.webhookAllowInsecureUrls,
      secretKey: config.webhookSecretKey,
      announce: queue ? queueAnnouncer(queue, jsonLogger) : undefined,
    },
  });
  return { app, webhooks: queue ? { deps: webhookRunnerDeps(db, config, jsonLogger), queue } : undefined };
}

function runtimeForEnv(env: Record<string, unknown>): Runtime {
  try {
    return buildApp(parseWorkerEnv(env));
  } catch (error) {
    // A broken configuration must fail closed: every request answers 500, and the log names the
    // variable. Only the client's error code is kept: its message may quote the URL, token and all.
    const code = (error as { code?: unknown }).code ?? (error as Error).name;
    const reason =
      error instanceof ConfigError
        ? error.message
        : `invalid configuration: TURSO_DATABASE_URL is not usable (${String(code)})`;
    return { app: createMisconfiguredApp(reason, jsonLogger) };
  }
}

// The env object is the same for every request an isolate serves, so it is parsed once per isolate.
let current: { env: unknown; runtime: Runtime } | undefined;

function runtimeOf(env: Record<string, unknown>): Runtime {
  if (current?.env !== env) current = { env, runtime: runtimeForEnv(env) };
  return current.runtime;
}

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext) {
    return runtimeOf(env).app.fetch(request, env, ctx);
  },

  /** The events queue's consumer: signs, sends and reschedules deliveries (src/webhooks/queue.ts). */
  async queue(batch: EventsBatch, env: Record<string, unknown>, ctx: ExecutionContext) {
    const webhooks = runtimeOf(env).webhooks;
    if (!webhooks) {
      jsonLogger.error({
        msg: "events queue message not processed: the Worker is misconfigured or has no EVENTS_QUEUE binding",
      });
      for (const message of batch.messages) message.retry({ delaySeconds: 60 });
      return;
    }
    await consumeEvents(batch, webhooks.deps, webhooks.queue, (work) => ctx.waitUntil(work));
  },

  /** The Cron Trigger (every minute): re-enqueues due deliveries that nothing holds. */
  async scheduled(_controller: unknown, env: Record<string, unknown>, ctx: ExecutionContext) {
    const webhooks = runtimeOf(env).webhooks;
    if (webhooks) ctx.waitUntil(sweepDueDeliveries(webhooks.deps, webhooks.queue));
  },
};
