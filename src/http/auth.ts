import type { MiddlewareHandler } from "hono";
import { CONVERT_SCOPE } from "../domain/conversion";
import { ApiError } from "./problem";
import { InvalidTokenError, type TokenVerifier } from "./tokens";
import type { AppEnv } from "./types";

export const AUTH_REALM = "turn-lead-into-client";

// RFC 6750 b64token after the scheme (case-insensitive, RFC 9110) and one or more spaces.
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const BEARER_WITHOUT_TOKEN = /^Bearer *$/i;

const challenge = (params = "") => `Bearer realm="${AUTH_REALM}"${params}`;

/** The answer when the scope check fails, with the challenge RFC 6750 asks for. */
export function insufficientScopeError(): ApiError {
  return new ApiError("insufficient_scope", `The token's scope does not include "${CONVERT_SCOPE}".`, {
    headers: {
      "WWW-Authenticate": challenge(`, error="insufficient_scope", scope="${CONVERT_SCOPE}"`),
    },
  });
}

function missingCredentials(): ApiError {
  return new ApiError("unauthorized", "A bearer token is required in the Authorization header.", {
    headers: { "WWW-Authenticate": challenge() },
  });
}

function invalidToken(description: string): ApiError {
  return new ApiError("unauthorized", description, {
    headers: {
      "WWW-Authenticate": challenge(`, error="invalid_token", error_description="${description.replaceAll('"', "'")}"`),
    },
  });
}

export interface BearerAuthOptions {
  verifyToken: TokenVerifier;
}

/**
 * Requires `Authorization: Bearer <token>` and puts the verified actor on the
 * context as `actor`. Tokens in the query string or body are never looked at.
 *
 * @example
 * app.post("/turn-lead-into-client", bearerAuth({ verifyToken }), handler);
 */
export function bearerAuth({ verifyToken }: BearerAuthOptions): MiddlewareHandler<AppEnv> {
  if (typeof verifyToken !== "function") throw new TypeError("bearerAuth needs a verifyToken function");

  return async function bearerAuth(c, next) {
    const header = c.req.header("Authorization");
    if (!header || BEARER_WITHOUT_TOKEN.test(header)) throw missingCredentials();
    const token = BEARER_CREDENTIALS.exec(header)?.[1];
    if (token === undefined) {
      if (!/^Bearer /i.test(header)) throw missingCredentials();
      throw invalidToken("The Authorization header is not a single bearer token.");
    }
    try {
      c.set("actor", await verifyToken(token));
    } catch (error) {
      if (error instanceof InvalidTokenError) throw invalidToken(error.message);
      throw error;
    }
    await next();
  };
}
