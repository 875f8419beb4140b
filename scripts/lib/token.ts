import { sign } from "hono/jwt";

export interface TokenRequest {
  secret: string;
  financialEntityId: string;
  /** Lifetime in seconds. Default one hour. */
  ttlSeconds?: number;
  /** Space-separated scopes; default `leads:convert`. */
  scope?: string;
  issuer?: string;
  audience?: string;
}

/**
 * Signs an HS256 token that acts for one financial entity, the way an
 * integrator's backend would.
 *
 * @example
 * const token = await issueToken({ secret, financialEntityId: "5f8e0c1d-…" });
 */
export async function issueToken({
  secret,
  financialEntityId,
  ttlSeconds = 3600,
  scope = "leads:convert",
  issuer,
  audience,
}: TokenRequest): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return sign(
    {
      sub: financialEntityId,
      financial_entity_id: financialEntityId,
      scope,
      iat: now,
      exp: now + ttlSeconds,
      ...(issuer ? { iss: issuer } : {}),
      ...(audience ? { aud: audience } : {}),
    },
    secret,
    "HS256",
  );
}
