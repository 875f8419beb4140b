import { verify } from "hono/jwt";
import { decodeHeader } from "hono/utils/jwt/jwt";
import type { SignatureAlgorithm } from "hono/utils/jwt/jwa";
import type { SignatureKey } from "hono/utils/jwt/jws";
import type { JWTPayload } from "hono/utils/jwt/types";
import type { Actor } from "../domain/conversion";
import type { JwksCache } from "./jwks";

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
const VERIFIED_TOKENS_KEPT = 1_000;

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

/** Algorithms a JWKS may vouch for; symmetric ones never come from a key set. */
export const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"] as const;
export type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];

export interface TokenVerifierOptions extends Hs256Options {
  /** Tokens from an identity provider: its key set and the algorithms accepted from it. */
  jwks?: { keys: JwksCache; algorithms: readonly JwksAlgorithm[] };
}

function headerOf(token: string): { alg?: unknown; kid?: unknown } {
  try {
    const header = decodeHeader(token);
    return typeof header === "object" && header !== null ? header : {};
  } catch {
    throw new InvalidTokenError("The token is malformed.");
  }
}

/**
 * Verifies a bearer token and reads the actor from it. HS256 tokens are
 * checked with the shared secret; when a JWKS is configured, tokens whose
 * header names an allowed asymmetric algorithm are checked with the key their
 * `kid` names. Each algorithm is pinned to its key: the header chooses which
 * check applies, never how lenient it is. `exp` is required, and `exp`, `nbf`
 * and `iat` get `clockSkewSeconds` of tolerance.
 *
 * @example
 * const verifyToken = createTokenVerifier({ secret: env.JWT_SECRET, issuer: env.JWT_ISSUER });
 * const actor = await verifyToken(token);
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { secret, issuer, audience, clockSkewSeconds = 60, now = Date.now, jwks } = options;
  if (secretByteLength(secret) < MIN_SECRET_BYTES) {
    throw new Error(`the HS256 secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  // Imported once, and as a key object: Hono would otherwise re-import it on every call.
  const hmacKey = crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  // Hono checks time claims without tolerance; they are checked afterwards, with it.
  const checks = { iss: issuer, aud: audience, exp: false, nbf: false, iat: false } as const;

  async function keyFor(token: string): Promise<{ key: SignatureKey; alg: SignatureAlgorithm }> {
    const { alg, kid } = headerOf(token);
    if (alg === "HS256") return { key: await hmacKey, alg };
    if (!jwks || !jwks.algorithms.includes(alg as JwksAlgorithm)) {
      throw new InvalidTokenError("The token header is invalid or names an algorithm that is not accepted.");
    }
    if (typeof kid !== "string") throw new InvalidTokenError("The token names no key (kid).");
    const key = await jwks.keys.keyFor(kid);
    const declared = key as { alg?: string; use?: string } | undefined;
    if (!key || (declared?.alg !== undefined && declared.alg !== alg) || (declared?.use !== undefined && declared.use !== "sig")) {
      throw new InvalidTokenError("The token is signed with a key that is not accepted.");
    }
    return { key, alg: alg as JwksAlgorithm };
  }

  // Integrators send the same token until it expires: a verified token is
  // remembered (by its exact text) until then, and its signature not checked again.
  const verified = new Map<string, { actor: Actor; validUntil: number }>();

  return async function verifyToken(token) {
    const remembered = verified.get(token);
    if (remembered && now() < remembered.validUntil) return remembered.actor;
    if (remembered) verified.delete(token);

    const { key, alg } = await keyFor(token);
    let payload: JWTPayload;
    try {
      payload = await verify(token, key, { alg, ...checks });
    } catch (error) {
      throw new InvalidTokenError(describeVerifyFailure(error));
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      throw new InvalidTokenError("The token is malformed.");
    }
    checkTimeClaims(payload, Math.floor(now() / 1000), clockSkewSeconds);
    const actor = actorFromClaims(payload);
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, { actor, validUntil: ((payload.exp as number) + clockSkewSeconds) * 1000 });
    return actor;
  };
}
