import type { ExecutionContext } from "hono";
import { createApp } from "./app";
import { openRemoteDatabase } from "./db/client";
import { authOptions, type Config, ConfigError, parseEnv } from "./env";
import { createMisconfiguredApp } from "./http/misconfigured";
import { jsonLogger } from "./log";

type Fetch = (request: Request, env: unknown, ctx: ExecutionContext) => Response | Promise<Response>;

/** Workers static assets: the OpenAPI document and Scalar's browser bundle, written by scripts/assets.ts. */
type AssetsBinding = { fetch(request: Request | URL): Promise<Response> };

function buildApp(config: Config, assets: AssetsBinding | undefined): { fetch: Fetch } {
  const db = openRemoteDatabase({
    url: config.databaseUrl,
    authToken: config.databaseAuthToken,
    timeoutMs: config.databaseTimeoutMs,
  });
  return createApp({
    db,
    auth: authOptions(config),
    corsOrigins: config.corsOrigins,
    databaseTimeoutMs: config.databaseTimeoutMs,
    logger: jsonLogger,
    assets: async (path, request) => {
      const res = await assets?.fetch(new URL(path, request.url));
      return res?.ok ? res : null;
    },
  });
}

function parseWorkerEnv(env: Record<string, unknown>): Config {
  const config = parseEnv(env);
  if (config.databaseUrl.startsWith("file:")) {
    throw new ConfigError(
      "invalid configuration: TURSO_DATABASE_URL must be a libsql:, https: or http: URL in a Worker (npm start serves a file: database over HTTP)",
    );
  }
  return config;
}

function appForEnv(env: Record<string, unknown>): { fetch: Fetch } {
  try {
    return buildApp(parseWorkerEnv(env), env.ASSETS as AssetsBinding | undefined);
  } catch (error) {
    // A broken configuration must fail closed: every request answers 500, and the log names the
    // variable. Only the client's error code is kept: its message may quote the URL, token and all.
    const code = (error as { code?: unknown }).code ?? (error as Error).name;
    const reason = error instanceof ConfigError ? error.message : `invalid configuration: TURSO_DATABASE_URL is not usable (${String(code)})`;
    return createMisconfiguredApp(reason, jsonLogger);
  }
}

// The env object is the same for every request an isolate serves, so it is parsed once per isolate.
let current: { env: unknown; app: { fetch: Fetch } } | undefined;

export default {
  fetch(request: Request, env: Record<string, unknown>, ctx: ExecutionContext) {
    if (current?.env !== env) current = { env, app: appForEnv(env) };
    return current.app.fetch(request, env, ctx);
  },
};
