import * as z from "zod/mini";
import { secretByteLength } from "./http/tokens";

const optionalText = z.pipe(
  z.optional(z.string()),
  // An empty value in .dev.vars or the dashboard means "not set".
  z.transform((value) => (value === undefined || value.trim() === "" ? undefined : value)),
);

const envSchema = z.object({
  TURSO_DATABASE_URL: z.string({ error: "is required" }).check(
    z.regex(/^(libsql|https?|file|wss?):/, "must be a libsql:, https:, http: or file: URL"),
  ),
  TURSO_AUTH_TOKEN: optionalText,
  JWT_SECRET: z.string({ error: "is required" }).check(
    z.refine((secret) => secretByteLength(secret) >= 32, "must be at least 32 bytes"),
  ),
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  DATABASE_TIMEOUT_MS: z.pipe(
    optionalText,
    z.transform((value, ctx) => {
      if (value === undefined) return 5_000;
      const ms = Number(value);
      if (!Number.isInteger(ms) || ms < 100 || ms > 60_000) {
        ctx.issues.push({ code: "custom", message: "must be an integer between 100 and 60000", input: value });
        return z.NEVER;
      }
      return ms;
    }),
  ),
});

export type Config = {
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  jwtSecret: string;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /** How long one database call may take before the request answers 503. */
  databaseTimeoutMs: number;
};

/** The configuration is unusable; the message names every offending variable, never a value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses the environment once, at an entry point. Throws {@link ConfigError}
 * naming each missing or invalid variable.
 *
 * @example
 * const config = parseEnv(process.env);
 */
export function parseEnv(env: Record<string, unknown>): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const e = result.data;
  return {
    databaseUrl: e.TURSO_DATABASE_URL,
    databaseAuthToken: e.TURSO_AUTH_TOKEN,
    jwtSecret: e.JWT_SECRET,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    databaseTimeoutMs: e.DATABASE_TIMEOUT_MS,
  };
}
