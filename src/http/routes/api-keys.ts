import { zValidator } from "@hono/zod-validator";
import type { Context } from "hono";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { type ApiKeyStore, MAX_LIVE_API_KEYS } from "../../db/api-key-store";
import type { ApiKey } from "../../domain/api-key";
import type { TokenCaller } from "../../domain/caller";
import { API_KEY_SCOPES, MANAGE_KEYS_SCOPE, tokenHasScope } from "../../domain/scopes";
import {
  bearerAuth,
  generateIntegrationKey,
  insufficientScopeError,
  type RateLimiter,
  rateLimit,
  type TokenVerifier,
} from "../auth";
import { INVALID_KEY, KEYS_CANNOT_MANAGE_KEYS, NO_SUCH_API_KEY, NO_SUCH_ENTITY } from "../details";
import type { RouteContract } from "../openapi/contract";
import { describeCodes, example, header, problem, ref } from "../openapi/parts";
import {
  internalErrorResponse,
  jsonBody,
  jsonResponse,
  payloadTooLargeResponse,
  problemResponse,
  rateLimitedResponse,
  unavailableResponse,
  unsupportedMediaTypeResponse,
  validationErrorResponse,
} from "../openapi/responses";
import { pathId } from "../path-id";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";
import { jsonBodyLimit, requireJsonBody, validationHook } from "../validation";

export const API_KEYS_PATH = "/api-keys";
export const MAX_API_KEY_BODY_BYTES = 4 * 1024;

// RFC 3339: a date-time with seconds optional and a zone required. (zod's ISO checker would add ~1 KiB to the Worker.)
const DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** How far ahead `expires_at` may lie: every instant up to it has a four-digit year, so stored times compare as text. */
export const MAX_KEY_LIFETIME_YEARS = 10;

function latestExpiry(now: Date): number {
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + MAX_KEY_LIFETIME_YEARS);
  return latest.getTime();
}

/** The body of `POST /api-keys`; other members are ignored. */
export const createApiKeyBody = z.object(
  {
    name: z.string({ error: "name must be a string" }).check(
      z.refine((name) => name.trim() !== "", "name must not be empty"),
      z.maxLength(100, "name must be at most 100 characters"),
    ),
    scopes: z
      .array(z.enum(API_KEY_SCOPES, { error: `each scope must be one of ${API_KEY_SCOPES.join(", ")}` }), {
        error: "scopes must be an array",
      })
      .check(z.minLength(1, "scopes must name at least one scope")),
    expires_at: z.optional(
      z.string({ error: "expires_at must be a string" }).check(
        z.refine((value) => DATE_TIME_WITH_ZONE.test(value) && !Number.isNaN(Date.parse(value)), {
          error: "expires_at must be an ISO 8601 date-time with a zone",
          abort: true,
        }),
        z.refine((value) => Date.parse(value) > Date.now(), "expires_at must lie in the future"),
        z.refine(
          (value) => Date.parse(value) <= latestExpiry(new Date()),
          `expires_at must lie at most ${MAX_KEY_LIFETIME_YEARS} years ahead`,
        ),
      ),
    ),
  },
  { error: "The body must be a JSON object" },
);

/** An integration key on the wire; the key text appears only in the creation answer. */
export function toApiKeyBody(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    prefix: key.prefix,
    created_at: key.createdAt,
    expires_at: key.expiresAt,
    revoked_at: key.revokedAt,
    last_used_at: key.lastUsedAt,
  };
}

/**
 * The token managing keys — it must name `keys:manage` in its scopes (a token
 * without a scope claim does not carry it): an integration key may never
 * create, list or revoke keys, not even itself.
 * Decided without the database.
 */
function keyManager(c: Context<AppEnv>): TokenCaller {
  const actor = c.get("actor");
  if (actor.kind === "key") throw new ApiError("forbidden", KEYS_CANNOT_MANAGE_KEYS);
  if (!tokenHasScope(actor, MANAGE_KEYS_SCOPE)) throw insufficientScopeError(MANAGE_KEYS_SCOPE);
  return actor;
}

export interface ApiKeysDeps {
  keys: ApiKeyStore;
  verifyToken: TokenVerifier;
  /** The everything-but-conversions budget of each credential. */
  requests: RateLimiter;
  now?: () => Date;
}

/**
 * `POST /api-keys`, `GET /api-keys`, `DELETE /api-keys/{id}`: integration keys
 * of the token's entity. Checks: body size, token, rate limit, content type and
 * body, then who may manage keys, then the database (one request each).
 */
export function apiKeysRoutes({ keys, verifyToken, requests, now = () => new Date() }: ApiKeysDeps) {
  const auth = [bearerAuth({ verifyToken }), rateLimit(requests)] as const;
  return new Hono<AppEnv>()
    .post(
      API_KEYS_PATH,
      jsonBodyLimit(MAX_API_KEY_BODY_BYTES),
      ...auth,
      requireJsonBody(),
      zValidator("json", createApiKeyBody, validationHook),
      async (c) => {
        const actor = keyManager(c);
        const body = c.req.valid("json");
        const generated = await generateIntegrationKey();
        const created = await keys.create({
          id: crypto.randomUUID(),
          financialEntityId: actor.financialEntityId,
          name: body.name.trim(),
          scopes: [...new Set(body.scopes)],
          keyHash: generated.hash,
          prefix: generated.prefix,
          createdBy: actor.subject,
          createdAt: now().toISOString(),
          // Stored in one format, so that the batch can compare it with the request's time as text.
          expiresAt: body.expires_at ? new Date(body.expires_at).toISOString() : null,
        });
        if (created.kind === "financial_entity_not_found")
          throw new ApiError("financial_entity_not_found", NO_SUCH_ENTITY);
        if (created.kind === "limit_reached") {
          throw new ApiError(
            "limit_reached",
            `The financial entity already holds ${MAX_LIVE_API_KEYS} integration keys that are not revoked; revoke one first.`,
          );
        }
        c.set("outcome", "api_key_created");
        const { revoked_at: _, last_used_at: __, ...shown } = toApiKeyBody(created.key);
        return c.json({ ...shown, key: generated.key }, 201);
      },
    )
    .get(API_KEYS_PATH, ...auth, async (c) => {
      const list = await keys.list(keyManager(c).financialEntityId);
      return c.json({ data: list.map(toApiKeyBody) }, 200);
    })
    .delete(`${API_KEYS_PATH}/:id`, ...auth, async (c) => {
      const { financialEntityId } = keyManager(c);
      const id = pathId(c.req.param("id"));
      const found = id !== null && (await keys.revoke(financialEntityId, id, now().toISOString()));
      if (!found) throw new ApiError("api_key_not_found", NO_SUCH_API_KEY);
      c.set("outcome", "api_key_revoked");
      return c.body(null, 204);
    });
}

/** The shapes of the answers: an integration key as listed (never the key text), and as created. */
function apiKeySchemas() {
  const uuid = z.string().check(z.guid());
  const timestamp = z.string().check(z.iso.datetime());
  const listed = z.strictObject({
    id: uuid,
    name: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    prefix: z.string().check(z.length(8)),
    created_at: timestamp,
    expires_at: z.nullable(timestamp),
    revoked_at: z.nullable(timestamp),
    last_used_at: z.nullable(timestamp),
  });
  return {
    list: z.strictObject({ data: z.array(listed) }),
    created: z.extend(z.omit(listed, { revoked_at: true, last_used_at: true }), {
      key: z.string().check(z.regex(/^lck_[0-9A-Za-z]{43}_[0-9A-Za-z]{6}$/)),
    }),
  };
}

/** `/api-keys`, as /openapi.json documents it. */
export function apiKeysContract(): RouteContract {
  const keyUnauthorized = problemResponse(
    "No token or key, a malformed Authorization header, an invalid token, or an integration key that is malformed, unknown, revoked or expired (all answered alike).",
    [problem("unauthorized", INVALID_KEY)],
    { "WWW-Authenticate": header("WWWAuthenticate") },
  );
  const keyManagementForbidden = problemResponse(
    `\`forbidden\`: an integration key was sent (keys cannot manage keys); \`insufficient_scope\`: the token does not name \`${MANAGE_KEYS_SCOPE}\` in its scopes.`,
    [problem("forbidden", KEYS_CANNOT_MANAGE_KEYS), example(insufficientScopeError(MANAGE_KEYS_SCOPE))],
  );
  const security = [{ bearerAuth: [MANAGE_KEYS_SCOPE] }];
  const requestId = { "X-Request-Id": header("XRequestId") };
  const schemas = apiKeySchemas();
  return {
    tag: "Integration keys",
    schemas: {
      CreateApiKeyRequest: {
        schema: createApiKeyBody,
        description:
          "`expires_at`, when given, is ISO 8601 with a zone, must lie in the future and at most 10 years ahead; it is stored as that instant in UTC.",
      },
      CreatedApiKey: { schema: schemas.created, description: "The new key: `key` is shown this once and never again." },
      ApiKeyList: { schema: schemas.list, description: "Integration keys as listed: never the key text." },
    },
    paths: {
      [API_KEYS_PATH]: {
        post: {
          operationId: "createApiKey",
          summary: "Create an integration key for the token's entity",
          description: [
            "Integration keys are static credentials for tools that cannot mint tokens (HubSpot workflows, Zapier, Make, n8n): send `Authorization: Bearer lck_…` wherever a token is accepted, except here.",
            "The key text is in this answer only; the service keeps its SHA-256. Revoking a key stops it on the very next request.",
            `Management needs a token that names \`${MANAGE_KEYS_SCOPE}\` in its scopes (a token without a scope claim carries every other scope, not this one). Scopes a key may carry: ${describeCodes([...API_KEY_SCOPES])}.`,
            `An entity holds at most ${MAX_LIVE_API_KEYS} keys that are not revoked; the next is 409 \`limit_reached\` (revoke one first).`,
          ].join("\n\n"),
          security,
          requestBody: jsonBody("CreateApiKeyRequest", {
            name: "HubSpot workflow",
            scopes: ["leads:convert"],
            expires_at: "2027-12-31T23:59:59Z",
          }),
          responses: {
            201: jsonResponse("The key; `key` is never shown again.", ref("CreatedApiKey"), { headers: requestId }),
            400: validationErrorResponse(
              "Malformed JSON, a missing name or scope, an unknown scope, or an `expires_at` that is not an ISO 8601 date-time in the future and at most 10 years ahead.",
              "expires_at",
              "expires_at must lie in the future",
            ),
            401: keyUnauthorized,
            403: keyManagementForbidden,
            404: problemResponse("The token's entity does not exist.", [
              problem("financial_entity_not_found", NO_SUCH_ENTITY),
            ]),
            405: problemResponse("See `Allow`.", [problem("method_not_allowed", "This endpoint accepts GET, POST.")]),
            409: problemResponse(`The entity already holds ${MAX_LIVE_API_KEYS} keys that are not revoked.`, [
              problem(
                "limit_reached",
                `The financial entity already holds ${MAX_LIVE_API_KEYS} integration keys that are not revoked; revoke one first.`,
              ),
            ]),
            413: payloadTooLargeResponse(MAX_API_KEY_BODY_BYTES),
            415: unsupportedMediaTypeResponse(),
            429: rateLimitedResponse("requests"),
            500: internalErrorResponse(),
            503: unavailableResponse(),
          },
        },
        get: {
          operationId: "listApiKeys",
          summary: "List the integration keys of the token's entity, revoked ones included",
          security,
          responses: {
            200: jsonResponse("Every key of the entity, oldest first.", ref("ApiKeyList"), { headers: requestId }),
            401: keyUnauthorized,
            403: keyManagementForbidden,
            429: rateLimitedResponse("requests"),
            500: internalErrorResponse(),
            503: unavailableResponse(),
          },
        },
      },
      [`${API_KEYS_PATH}/{id}`]: {
        delete: {
          operationId: "revokeApiKey",
          summary: "Revoke an integration key: refused from the very next request",
          security,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          responses: {
            204: { description: "Revoked (or already revoked).", headers: requestId },
            401: keyUnauthorized,
            403: keyManagementForbidden,
            404: problemResponse("No key with this id belongs to the token's entity.", [
              problem("api_key_not_found", NO_SUCH_API_KEY),
            ]),
            405: problemResponse("See `Allow`.", [problem("method_not_allowed", "This endpoint accepts DELETE.")]),
            429: rateLimitedResponse("requests"),
            500: internalErrorResponse(),
            503: unavailableResponse(),
          },
        },
      },
    },
  };
}
