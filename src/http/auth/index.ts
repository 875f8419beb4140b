export { actorFromClaims, createTokenVerifier, type TokenVerifier, type TokenVerifierOptions } from "./actor";
export { AUTH_REALM, bearerAuth, INVALID_KEY_DESCRIPTION, insufficientScopeError, invalidToken } from "./bearer";
export { InvalidTokenError } from "./errors";
export { generateIntegrationKey, KEY_PREFIX, parseIntegrationKey } from "./integration-keys";
export { createJwksCache, type JwksCache, type JwksCacheOptions, JwksUnavailableError, type KeepAlive } from "./jwks";
export { JWKS_ALGORITHMS, type JwksAlgorithm, secretByteLength } from "./jwt";
export { type AuthSettings, authOptions } from "./options";
export {
  createInProcessRateLimiter,
  createWorkersRateLimiter,
  DEFAULT_RATE_LIMITS,
  type RateLimiter,
  type RateLimits,
  rateLimit,
  spendBudget,
} from "./rate-limit";
