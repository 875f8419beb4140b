export { actorFromClaims, createTokenVerifier, type TokenVerifier, type TokenVerifierOptions } from "./actor";
export { AUTH_REALM, bearerAuth, insufficientScopeError } from "./bearer";
export { InvalidTokenError } from "./errors";
export { createJwksCache, type JwksCache, type JwksCacheOptions, JwksUnavailableError, type KeepAlive } from "./jwks";
export { JWKS_ALGORITHMS, type JwksAlgorithm, secretByteLength } from "./jwt";
