import type { TokenVerifierOptions } from "./actor";
import { createJwksCache } from "./jwks";
import type { JwksAlgorithm } from "./jwt";

/** The settings token verification reads: the entry's parsed configuration satisfies it. */
export interface AuthSettings {
  jwtSecret: string;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  jwksUrl: string | undefined;
  jwksAlgorithms: JwksAlgorithm[];
  jwksCacheSeconds: number;
}

/**
 * How tokens are verified under these settings. Call once per app: the JWKS
 * cache it creates lives as long as the app.
 *
 * @example
 * const app = createApp({ db, auth: authOptions(parseEnv(process.env)) });
 */
export function authOptions(settings: AuthSettings): TokenVerifierOptions {
  return {
    secret: settings.jwtSecret,
    issuer: settings.jwtIssuer,
    audience: settings.jwtAudience,
    jwks: settings.jwksUrl
      ? {
          keys: createJwksCache({ url: settings.jwksUrl, maxAgeSeconds: settings.jwksCacheSeconds }),
          algorithms: settings.jwksAlgorithms,
        }
      : undefined,
  };
}
