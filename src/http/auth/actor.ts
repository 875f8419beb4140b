import type { TokenCaller } from "../../domain/caller";
import { InvalidTokenError } from "./errors";
import type { KeepAlive } from "./jwks";
import { createJwtVerifier, type JwtOptions } from "./jwt";

/** Turns a bearer token into the actor it speaks for, or throws {@link InvalidTokenError}. */
export type TokenVerifier = (token: string, keepAlive?: KeepAlive) => Promise<TokenCaller>;

export type TokenVerifierOptions = JwtOptions;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERIFIED_TOKENS_KEPT = 1_000;

/** A space-separated string or an array of strings; any other shape grants nothing rather than everything. */
function parseScopes(claim: unknown): readonly string[] {
  if (typeof claim === "string") return claim.split(" ").filter(Boolean);
  if (Array.isArray(claim) && claim.every((scope) => typeof scope === "string")) return claim;
  return [];
}

/**
 * Reads the actor from verified claims: the entity is `financial_entity_id`,
 * or else `sub`, and must be a UUID; `sub`, when present, must be a string and
 * is kept as sent. Scopes come from `scope`, or else `scp`; a token with
 * neither carries every scope of its entity (`scopes: null`).
 *
 * @example
 * actorFromClaims({ sub: "svc-7", financial_entity_id: entityId, scope: ["leads:convert"] });
 */
export function actorFromClaims(claims: Record<string, unknown>): TokenCaller {
  const { sub } = claims;
  if (sub !== undefined && typeof sub !== "string")
    throw new InvalidTokenError("The token's sub claim is not a string.");
  const claimed = claims.financial_entity_id ?? sub;
  if (typeof claimed !== "string" || !UUID.test(claimed)) {
    throw new InvalidTokenError(
      "The token does not name a financial entity (financial_entity_id or sub must be a UUID).",
    );
  }
  const financialEntityId = claimed.toLowerCase();
  const scopeClaim = claims.scope !== undefined ? claims.scope : claims.scp;
  return {
    kind: "jwt",
    financialEntityId,
    subject: sub ?? financialEntityId,
    scopes: scopeClaim === undefined ? null : parseScopes(scopeClaim),
  };
}

/**
 * Verifies a bearer token (today a JWT, see `jwt.ts`) and reads the actor
 * from it. Integrators send the same token until it expires, so a verified
 * token is remembered, by its exact text, until its `exp` (plus the clock
 * skew) and its signature not checked again — also when the key that signed
 * it has since left the provider's key set: withdrawing a key stops new
 * tokens, it does not revoke issued ones.
 *
 * @example
 * const verifyToken = createTokenVerifier({ secret: env.JWT_SECRET, issuer: env.JWT_ISSUER });
 * const actor = await verifyToken(token);
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { clockSkewSeconds = 60, now = Date.now } = options;
  const verifyJwt = createJwtVerifier(options);
  const verified = new Map<string, { actor: TokenCaller; validUntil: number }>();

  return async function verifyToken(token, keepAlive) {
    const remembered = verified.get(token);
    if (remembered && now() < remembered.validUntil) return remembered.actor;
    if (remembered) verified.delete(token);

    const claims = await verifyJwt(token, keepAlive);
    const actor = actorFromClaims(claims);
    if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, { actor, validUntil: (claims.exp + clockSkewSeconds) * 1000 });
    return actor;
  };
}
