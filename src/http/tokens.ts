import { verify } from "hono/jwt";
import type { JWTPayload } from "hono/utils/jwt/types";
import type { Actor } from "../domain/conversion";

/** A token that must not be accepted; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

/** Turns a bearer token into the actor it speaks for, or throws {@link InvalidTokenError}. */
export type TokenVerifier = (token: string) => Promise<Actor>;

export interface Hs256Options {
  /** The shared secret, at least 32 bytes. */
  secret: string;
  /** When set, `iss` must equal it. */
  issuer?: string;
  /** When set, `aud` must contain it. */
  audience?: string;
  /** Tolerance for `exp`, `nbf` and `iat` against our clock. Default 60. */
  clockSkewSeconds?: number;
  now?: () => number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN_SECRET_BYTES = 32;

/** Byte length, not character count: the contract's minimum is 32 bytes of key. */
export function secretByteLength(secret: string): number {
  return new TextEncoder().encode(secret).byteLength;
}

function describeVerifyFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  // Hono's messages embed the token itself, so only the error's kind is used.
  switch (name) {
    case "JwtTokenSignatureMismatched":
      return "The token signature is invalid.";
    case "JwtHeaderInvalid":
    case "JwtAlgorithmMismatch":
      return "The token header is invalid or names an algorithm that is not accepted.";
    case "JwtTokenIssuer":
      return "The token issuer is not accepted.";
    case "JwtTokenAudience":
    case "JwtPayloadRequiresAud":
      return "The token audience is not accepted.";
    default:
      return "The token is malformed.";
  }
}

function checkTimeClaims(payload: JWTPayload, nowSeconds: number, skew: number): void {
  const { exp, nbf, iat } = payload;
  if (exp === undefined) throw new InvalidTokenError("The token has no expiry (exp).");
  for (const [claim, value] of [["exp", exp], ["nbf", nbf], ["iat", iat]] as const) {
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) {
      throw new InvalidTokenError(`The token's ${claim} claim is not a number.`);
    }
  }
  if ((exp as number) + skew <= nowSeconds) throw new InvalidTokenError("The token has expired.");
  if (nbf !== undefined && (nbf as number) - skew > nowSeconds) {
    throw new InvalidTokenError("The token is not valid yet (nbf).");
  }
  if (iat !== undefined && (iat as number) - skew > nowSeconds) {
    throw new InvalidTokenError("The token was issued in the future (iat).");
  }
}

function parseScopes(scope: unknown): readonly string[] | null {
  if (scope === undefined) return null;
  if (typeof scope === "string") return scope.split(" ").filter(Boolean);
  // A scope claim of any other shape grants nothing rather than everything.
  return [];
}

/**
 * Reads the actor from verified claims: the entity is `financial_entity_id`,
 * or else `sub`, and must be a UUID.
 */
export function actorFromClaims(payload: JWTPayload): Actor {
  const claimed = payload.financial_entity_id ?? payload.sub;
  if (typeof claimed !== "string" || !UUID.test(claimed)) {
    throw new InvalidTokenError("The token does not name a financial entity (financial_entity_id or sub must be a UUID).");
  }
  const financialEntityId = claimed.toLowerCase();
  return {
    financialEntityId,
    subject: typeof payload.sub === "string" ? payload.sub : financialEntityId,
    scopes: parseScopes(payload.scope),
  };
}

/**
 * Verifies HS256 tokens with the shared secret. The algorithm is pinned,
 * `exp` is required, and time claims get `clockSkewSeconds` of tolerance.
 *
 * @example
 * const verifyToken = createHs256Verifier({ secret: env.JWT_SECRET, issuer: env.JWT_ISSUER });
 * const actor = await verifyToken(token);
 */
export function createHs256Verifier(options: Hs256Options): TokenVerifier {
  const { secret, issuer, audience, clockSkewSeconds = 60, now = Date.now } = options;
  if (secretByteLength(secret) < MIN_SECRET_BYTES) {
    throw new Error(`the HS256 secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  // Imported once, and as a key object: Hono would otherwise re-import it on every call.
  const key = crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );

  return async function verifyHs256(token) {
    let payload: JWTPayload;
    try {
      payload = await verify(token, await key, {
        alg: "HS256",
        iss: issuer,
        aud: audience,
        // Hono checks these without tolerance; they are checked below with it.
        exp: false,
        nbf: false,
        iat: false,
      });
    } catch (error) {
      throw new InvalidTokenError(describeVerifyFailure(error));
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      throw new InvalidTokenError("The token is malformed.");
    }
    checkTimeClaims(payload, Math.floor(now() / 1000), clockSkewSeconds);
    return actorFromClaims(payload);
  };
}
