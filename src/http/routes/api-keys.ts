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
  if (actor.kind === "key") throw new ApiError("forbidden", "Integration keys cannot manage keys; use a token.");
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
          throw new ApiError("financial_entity_not_found", "No financial entity exists with this id.");
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
      if (!found)
        throw new ApiError("api_key_not_found", "No integration key with this id exists for this financial entity.");
      c.set("outcome", "api_key_revoked");
      return c.body(null, 204);
    });
}
