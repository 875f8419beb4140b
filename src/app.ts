import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import { secureHeaders } from "hono/secure-headers";
import { Hono } from "hono/tiny";
import { createApiKeyStore } from "./db/api-key-store";
import { createBulkConversionStore } from "./db/bulk-conversion-store";
import type { Database } from "./db/client";
import { createConversionStore } from "./db/conversion-store";
import { createKeyVerdicts } from "./db/key-gate";
import { createAssignmentStore } from "./db/lead-assignment-store";
import { createLeadChangeStore } from "./db/lead-change-store";
import { createLeadIntakeStore } from "./db/lead-intake-store";
import { createListStore } from "./db/list-store";
import { createReadStore } from "./db/read-store";
import type { ConversionStore } from "./domain/conversion";
import type { Announce } from "./http/announce";
import {
  createInProcessRateLimiter,
  createTokenVerifier,
  DEFAULT_RATE_LIMITS,
  type RateLimiter,
  type RateLimits,
  type TokenVerifierOptions,
} from "./http/auth";
import {
  type ClientAddress,
  createCredentialLimits,
  credentialLimits,
  DEFAULT_AUTH_FAILURES_PER_MINUTE,
  ENTITY_BUDGET_FACTOR,
} from "./http/auth/credential-limits";
import { noStore } from "./http/cache-control";
import { errorHandler } from "./http/error-handler";
import { ApiError, problemResponse } from "./http/problem";
import { requestId } from "./http/request-id";
import { requestLog } from "./http/request-log";
import { apiKeysRoutes } from "./http/routes/api-keys";
import { docsRoutes, type StaticAssets } from "./http/routes/docs";
import { eventsRoutes } from "./http/routes/events";
import { healthRoutes } from "./http/routes/health";
import { leadAssignmentRoutes } from "./http/routes/lead-assignment";
import { leadWritesRoutes } from "./http/routes/lead-writes";
import { leadsRoute } from "./http/routes/leads";
import { listRoutes } from "./http/routes/lists";
import { turnLeadIntoClientRoute } from "./http/routes/turn-lead-into-client";
import { turnLeadsIntoClientsRoute } from "./http/routes/turn-leads-into-clients";
import { usersRoute } from "./http/routes/users";
import { webhookEndpointsRoutes } from "./http/routes/webhook-endpoints";
import type { AppEnv } from "./http/types";
import { jsonLogger, type Logger } from "./log";
import { createSecretBox } from "./webhooks/secrets";
import { createWebhookStore } from "./webhooks/store";

export interface AppDeps {
  db: Database;
  auth: TokenVerifierOptions;
  /** Where conversions happen; by default libSQL through `db`. Tests hand in another implementation of the port. */
  store?: ConversionStore;
  /** Deadline for one database call; past it the request answers 503. Default 5000. */
  databaseTimeoutMs?: number;
  logger?: Logger;
  /** The OpenAPI document and the docs page's script, as this runtime serves them. */
  assets?: StaticAssets;
  /** Browser origins allowed to call the API. None by default: no CORS headers at all. */
  corsOrigins?: readonly string[];
  /** Conversion events: destination rules, secret sealing, and the runtime's driver. */
  webhooks?: WebhookDeps;
  /**
   * The budgets. Default: in this process, the spec's 600 conversions and 1,200 other requests a minute per
   * credential, 3× those per entity, 30 failed keys a minute per client address.
   */
  rateLimits?: RateLimits;
  /** The request's client address, as the runtime knows it (the Worker: CF-Connecting-IP; Node: the socket's peer). */
  clientAddress?: ClientAddress;
}

/** The spec's budgets, counted in this process; per entity 3× the credential's unless given. */
export function inProcessRateLimits(
  limits: {
    conversions: number;
    requests: number;
    entityConversions?: number;
    entityRequests?: number;
    authFailures?: number;
  } = DEFAULT_RATE_LIMITS,
): RateLimits {
  const {
    entityConversions = ENTITY_BUDGET_FACTOR * limits.conversions,
    entityRequests = ENTITY_BUDGET_FACTOR * limits.requests,
    authFailures = DEFAULT_AUTH_FAILURES_PER_MINUTE,
  } = limits;
  return {
    conversions: createInProcessRateLimiter({ name: "conversions", limit: limits.conversions }),
    requests: createInProcessRateLimiter({ name: "requests", limit: limits.requests }),
    entityConversions: createInProcessRateLimiter({ name: "entity-conversions", limit: entityConversions }),
    entityRequests: createInProcessRateLimiter({ name: "entity-requests", limit: entityRequests }),
    authFailures: failedKeysCounter(
      createInProcessRateLimiter({ name: "auth-failures", limit: authFailures - 1 }),
      authFailures,
    ),
  };
}

/**
 * The failed-keys budget: `counter` counts with a limit one below the
 * announced one (the failure that finds it full is the last the database
 * sees, see `createCredentialLimits`); `RateLimit-Policy` announces `announced`.
 */
export function failedKeysCounter(counter: RateLimiter, announced: number): RateLimiter {
  return { ...counter, limit: announced };
}

export interface WebhookDeps {
  /** Local development only: http: and any host allowed as a destination. */
  allowInsecureUrls?: boolean;
  /** WEBHOOK_SECRET_KEY: seals endpoint secrets at rest. */
  secretKey?: string;
  /** Called with each new event id: the Worker enqueues it, the Node dispatcher wakes up. */
  announce?: Announce;
}

/**
 * Builds the API. Reads no environment and opens nothing: the Worker, the
 * Node server and the tests hand it what it needs.
 *
 * @example
 * const app = createApp({ db, auth: { secret: config.jwtSecret } });
 * const res = await app.request("/turn-lead-into-client", { method: "POST", headers, body });
 */
export function createApp({
  db,
  auth,
  store,
  databaseTimeoutMs = 5_000,
  logger = jsonLogger,
  assets,
  corsOrigins = [],
  webhooks = {},
  rateLimits = inProcessRateLimits(),
  clientAddress,
}: AppDeps) {
  // What this isolate/process learns about keys from the database, shared by every store and the auth middleware.
  const keyVerdicts = createKeyVerdicts();
  const stored = { timeoutMs: databaseTimeoutMs, keyVerdicts };
  const limits = createCredentialLimits({
    verdicts: keyVerdicts,
    authFailures:
      rateLimits.authFailures ??
      failedKeysCounter(
        createInProcessRateLimiter({ name: "auth-failures", limit: DEFAULT_AUTH_FAILURES_PER_MINUTE - 1 }),
        DEFAULT_AUTH_FAILURES_PER_MINUTE,
      ),
    entity: { conversions: rateLimits.entityConversions, requests: rateLimits.entityRequests },
    clientAddress,
  });
  store ??= createConversionStore(db, stored);
  const keys = createApiKeyStore(db, { timeoutMs: databaseTimeoutMs });
  const bulkStore = createBulkConversionStore(db, stored);
  const reader = createReadStore(db, stored);
  const verifyToken = createTokenVerifier(auth);
  const webhookStore = createWebhookStore(db, stored);
  const { announce } = webhooks;

  const app = new Hono<AppEnv>();
  app.use(requestId(), requestLog(logger), secureHeaders(), noStore(), credentialLimits(limits));
  if (corsOrigins.length > 0) {
    app.use(
      cors({
        origin: [...corsOrigins],
        allowMethods: ["POST", "GET", "PATCH", "DELETE"],
        allowHeaders: ["Authorization", "Content-Type", "X-Request-Id", "If-Match", "If-None-Match"],
        exposeHeaders: [
          "X-Request-Id",
          "Idempotent-Replayed",
          "Lead-Linked",
          "ETag",
          "Location",
          "Retry-After",
          "WWW-Authenticate",
          "RateLimit-Policy",
        ],
        maxAge: 600,
      }),
    );
  }
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (_c, methods) => {
        throw new ApiError("method_not_allowed", `This endpoint accepts ${methods.join(", ")}.`, {
          headers: { Allow: methods.join(", ") },
        });
      },
    }),
  );
  app.notFound((c) => problemResponse(c, new ApiError("not_found", "There is nothing at this path.")));
  app.onError(errorHandler(logger));
  return app
    .route("/", turnLeadIntoClientRoute({ store, verifyToken, announce, conversions: rateLimits.conversions }))
    .route(
      "/",
      webhookEndpointsRoutes({
        store: webhookStore,
        secrets: createSecretBox(webhooks.secretKey),
        verifyToken,
        allowInsecureUrls: webhooks.allowInsecureUrls ?? false,
        requests: rateLimits.requests,
      }),
    )
    .route("/", eventsRoutes({ store: webhookStore, verifyToken, announce, requests: rateLimits.requests }))
    .route("/", apiKeysRoutes({ keys, verifyToken, requests: rateLimits.requests }))
    .route(
      "/",
      turnLeadsIntoClientsRoute({ store: bulkStore, verifyToken, announce, conversions: rateLimits.conversions }),
    )
    .route("/", usersRoute({ reader, verifyToken, requests: rateLimits.requests }))
    .route(
      "/",
      leadWritesRoutes({
        intake: createLeadIntakeStore(db, stored),
        changes: createLeadChangeStore(db, stored),
        verifyToken,
        announce,
        requests: rateLimits.requests,
      }),
    )
    .route(
      "/",
      listRoutes({
        store: createListStore(db, stored),
        verifyToken,
        requests: rateLimits.requests,
      }),
    )
    .route("/", leadsRoute({ reader, verifyToken, requests: rateLimits.requests }))
    .route(
      "/",
      leadAssignmentRoutes({
        store: createAssignmentStore(db, stored),
        verifyToken,
        announce,
        requests: rateLimits.requests,
      }),
    )
    .route("/", healthRoutes({ db, databaseTimeoutMs }))
    .route("/", docsRoutes({ assets }));
}

/** The API's type, for Hono's typed client: `hc<AppType>(baseUrl)`. */
export type AppType = ReturnType<typeof createApp>;
