import type { Context, MiddlewareHandler } from "hono";
import { CONVERT_SCOPE } from "../../domain/scopes";
import { INVALID_KEY, MISSING_CREDENTIALS, missingScope } from "../details";
import { executionContextOf } from "../execution-context";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";
import type { TokenVerifier } from "./actor";
import { InvalidTokenError } from "./errors";
import { looksLikeIntegrationKey, parseIntegrationKey } from "./integration-keys";
import type { KeepAlive } from "./jwks";

export const AUTH_REALM = "turn-lead-into-client";

// RFC 6750 b64token after the scheme (case-insensitive, RFC 9110) and one or more spaces.
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const BEARER_WITHOUT_TOKEN = /^Bearer *$/i;
// RFC 9110 §5.5: whitespace around a field value is not part of it. Most runtimes
// strip it before the app sees the header; this makes every runtime answer alike.
const SURROUNDING_OWS = /^[ \t]+|[ \t]+$/g;

const challenge = (params = "") => `Bearer realm="${AUTH_REALM}"${params}`;

/** The answer when the scope check fails, with the challenge RFC 6750 asks for, naming the scope needed. */
export function insufficientScopeError(scope: string = CONVERT_SCOPE): ApiError {
  return new ApiError("insufficient_scope", missingScope(scope), {
    headers: {
      "WWW-Authenticate": challenge(`, error="insufficient_scope", scope="${scope}"`),
    },
  });
}

function missingCredentials(): ApiError {
  return new ApiError("unauthorized", MISSING_CREDENTIALS, {
    headers: { "WWW-Authenticate": challenge() },
  });
}

/** The 401 for a credential that was sent but cannot be accepted. */
export function invalidToken(description: string): ApiError {
  return new ApiError("unauthorized", description, {
    headers: {
      "WWW-Authenticate": challenge(`, error="invalid_token", error_description="${description.replaceAll('"', "'")}"`),
    },
  });
}

/** The Worker's `waitUntil`, where there is one, so that a key refresh outlives the request. */
function keepAliveOf(c: Context<AppEnv>): KeepAlive | undefined {
  const ctx = executionContextOf(c);
  return ctx && ((work) => ctx.waitUntil(work));
}

/** What a request learns about a key that is well-formed but was not (and cannot be) looked up. */
export const INVALID_KEY_DESCRIPTION = INVALID_KEY;

export interface BearerAuthOptions {
  verifyToken: TokenVerifier;
}

/**
 * Requires `Authorization: Bearer <credential>` and puts the caller on the
 * context as `actor`. A credential starting with `lck_` is an integration key:
 * its shape and checksum are checked here, with no database request, and the
 * caller is the key's hash — whether the key exists, is revoked or expired is
 * read by the request's own database batch. Anything else is a JWT, verified
 * in full. Credentials in the query string or body are never looked at.
 *
 * @example
 * app.post("/turn-lead-into-client", bearerAuth({ verifyToken }), handler);
 */
export function bearerAuth({ verifyToken }: BearerAuthOptions): MiddlewareHandler<AppEnv> {
  if (typeof verifyToken !== "function") throw new TypeError("bearerAuth needs a verifyToken function");

  return async function bearerAuth(c, next) {
    const header = c.req.header("Authorization")?.replace(SURROUNDING_OWS, "");
    if (!header || BEARER_WITHOUT_TOKEN.test(header)) throw missingCredentials();
    const token = BEARER_CREDENTIALS.exec(header)?.[1];
    if (token === undefined) {
      if (!/^Bearer /i.test(header)) throw missingCredentials();
      throw invalidToken("The Authorization header is not a single bearer token.");
    }
    if (looksLikeIntegrationKey(token)) {
      const key = await parseIntegrationKey(token);
      // A malformed key and a wrong checksum get the same answer as an unknown key.
      if (key === null) throw invalidToken(INVALID_KEY_DESCRIPTION);
      // The database said so before, in this isolate/process: these states are final, so it is not asked again.
      if (c.get("credentialLimits")?.verdicts.isRefused(key.hash)) throw invalidToken(INVALID_KEY_DESCRIPTION);
      c.set("actor", { kind: "key", keyHash: key.hash, prefix: key.prefix });
      return next();
    }
    try {
      c.set("actor", await verifyToken(token, keepAliveOf(c)));
    } catch (error) {
      if (error instanceof InvalidTokenError) throw invalidToken(error.message);
      throw error;
    }
    await next();
  };
}
