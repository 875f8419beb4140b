import { decodeBase64Url } from "hono/utils/encode";
import type { SignatureAlgorithm } from "hono/utils/jwt/jwa";
import { type SignatureKey, verifying } from "hono/utils/jwt/jws";
import type { JWTPayload } from "hono/utils/jwt/types";
import { TOKEN_EXPIRED } from "../details";
import { InvalidTokenError } from "./errors";
import type { JwksCache, KeepAlive } from "./jwks";

/** Algorithms a JWKS may vouch for; symmetric ones never come from a key set. */
export const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"] as const;
export type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];

export interface JwtOptions {
  /** The HS256 shared secret, at least 32 bytes. */
  secret: string;
  /** When set, `iss` must equal it. */
  issuer?: string;
  /** When set, `aud` must contain it. */
  audience?: string;
  /** Tolerance for `exp`, `nbf` and `iat` against our clock. Default 60. */
  clockSkewSeconds?: number;
  now?: () => number;
  /** Tokens from an identity provider: its key set and the algorithms accepted from it. */
  jwks?: { keys: JwksCache; algorithms: readonly JwksAlgorithm[] };
}

/** Verified claims, with `exp` known to be a number. */
export type VerifiedClaims = JWTPayload & { exp: number };

const MIN_SECRET_BYTES = 32;
// RFC 9068 access tokens say `at+jwt`; plain JWTs say `JWT` or nothing. The media type may be spelled out.
const ACCEPTED_TYPES = new Set(["jwt", "at+jwt"]);

const BAD_SIGNATURE = "The token signature is invalid.";
const MALFORMED = "The token is malformed.";

/** Byte length, not character count: the contract's minimum is 32 bytes of key. */
export function secretByteLength(secret: string): number {
  return new TextEncoder().encode(secret).byteLength;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function decodePart(part: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64Url(part)));
  } catch {
    throw new InvalidTokenError(MALFORMED);
  }
}

function checkType(typ: unknown): void {
  if (typ === undefined) return;
  if (typeof typ !== "string" || !ACCEPTED_TYPES.has(typ.toLowerCase().replace(/^application\//, ""))) {
    throw new InvalidTokenError("The token type (typ) is not accepted; use JWT or at+jwt.");
  }
}

function checkTimeClaims(payload: JWTPayload, nowSeconds: number, skew: number): asserts payload is VerifiedClaims {
  const { exp, nbf, iat } = payload;
  if (exp === undefined) throw new InvalidTokenError("The token has no expiry (exp).");
  for (const [claim, value] of [
    ["exp", exp],
    ["nbf", nbf],
    ["iat", iat],
  ] as const) {
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) {
      throw new InvalidTokenError(`The token's ${claim} claim is not a number.`);
    }
  }
  if ((exp as number) + skew <= nowSeconds) throw new InvalidTokenError(TOKEN_EXPIRED);
  if (nbf !== undefined && (nbf as number) - skew > nowSeconds) {
    throw new InvalidTokenError("The token is not valid yet (nbf).");
  }
  if (iat !== undefined && (iat as number) - skew > nowSeconds) {
    throw new InvalidTokenError("The token was issued in the future (iat).");
  }
}

/**
 * Verifies a JWT and returns its claims. HS256 tokens are checked with the
 * shared secret; when a JWKS is configured, tokens whose header names an
 * allowed asymmetric algorithm are checked with the key their `kid` names.
 * Each algorithm is pinned to its key: the header chooses which check
 * applies, never how lenient it is. The signature is checked before any
 * claim, so a forger learns nothing from which claim was refused. `exp` is
 * required, and `exp`, `nbf` and `iat` get `clockSkewSeconds` of tolerance.
 *
 * @example
 * const verifyJwt = createJwtVerifier({ secret: env.JWT_SECRET, issuer: env.JWT_ISSUER });
 * const claims = await verifyJwt(token);
 */
export function createJwtVerifier(options: JwtOptions) {
  const { secret, issuer, audience, clockSkewSeconds = 60, now = Date.now, jwks } = options;
  if (secretByteLength(secret) < MIN_SECRET_BYTES) {
    throw new Error(`the HS256 secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  // Imported once, and as a key object, rather than on every call.
  const hmacKey = crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );

  async function keyFor(
    header: Record<string, unknown>,
    keepAlive?: KeepAlive,
  ): Promise<{ key: SignatureKey; alg: SignatureAlgorithm }> {
    const { alg, kid } = header;
    if (alg === "HS256") return { key: await hmacKey, alg };
    if (!jwks?.algorithms.includes(alg as JwksAlgorithm)) {
      throw new InvalidTokenError("The token header names an algorithm that is not accepted.");
    }
    if (typeof kid !== "string") throw new InvalidTokenError("The token names no key (kid).");
    const key = await jwks.keys.keyFor(kid, keepAlive);
    const declared = key as { alg?: unknown; use?: unknown } | undefined;
    if (
      !key ||
      (declared?.alg !== undefined && declared.alg !== alg) ||
      (declared?.use !== undefined && declared.use !== "sig")
    ) {
      throw new InvalidTokenError("The token is signed with a key that is not accepted.");
    }
    return { key, alg: alg as JwksAlgorithm };
  }

  async function checkSignature(parts: string[], key: SignatureKey, alg: SignatureAlgorithm): Promise<void> {
    let valid = false;
    try {
      if (/^[A-Za-z0-9_-]+$/.test(parts[2]!)) {
        const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
        valid = await verifying(key, alg, decodeBase64Url(parts[2]!), signed);
      }
    } catch {
      // A signature or key that cannot even be read is just as invalid.
    }
    if (!valid) throw new InvalidTokenError(BAD_SIGNATURE);
  }

  function checkAudience(aud: unknown): void {
    if (audience === undefined) return;
    if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) {
      throw new InvalidTokenError("The token audience is not accepted.");
    }
  }

  return async function verifyJwt(token: string, keepAlive?: KeepAlive): Promise<VerifiedClaims> {
    const parts = token.split(".");
    if (parts.length !== 3) throw new InvalidTokenError(MALFORMED);
    const header = decodePart(parts[0]!);
    if (!isObject(header)) throw new InvalidTokenError(MALFORMED);
    // No header extension is understood, so none may be declared critical (RFC 7515 §4.1.11).
    if ("crit" in header)
      throw new InvalidTokenError("The token header declares extensions that are not supported (crit).");
    checkType(header.typ);
    const { key, alg } = await keyFor(header, keepAlive);
    await checkSignature(parts, key, alg);

    const payload = decodePart(parts[1]!);
    if (!isObject(payload)) throw new InvalidTokenError(MALFORMED);
    checkTimeClaims(payload, Math.floor(now() / 1000), clockSkewSeconds);
    if (issuer !== undefined && payload.iss !== issuer)
      throw new InvalidTokenError("The token issuer is not accepted.");
    checkAudience(payload.aud);
    return payload;
  };
}

export type JwtVerifier = ReturnType<typeof createJwtVerifier>;
