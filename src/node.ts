import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";
import { createApp } from "./app";
import { nodeAssets } from "./assets-node";
import { openNodeDatabase } from "./db/client-node";
import { migrateDatabase } from "./db/migrate";
import { authOptions, type Config, ConfigError, parseEnv } from "./env";
import { jsonLogger, type Logger } from "./log";
import { startDispatcher } from "./webhooks/dispatcher";
import { webhookRunnerDeps } from "./webhooks/runner-deps";

export const DEFAULT_DATABASE_URL = "file:.data/dev.db";
export const DEFAULT_PORT = 8787;

export interface NodeServerOptions {
  config: Config;
  port?: number;
  hostname?: string;
  logger?: Logger;
}

export interface NodeServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the API from Node on an embedded (or remote) libSQL database,
 * migrating it first.
 *
 * @example
 * const server = await startNodeServer({ config: parseEnv(process.env), port: 8787 });
 * console.log(server.url);
 */
export async function startNodeServer({
  config,
  port = DEFAULT_PORT,
  hostname = "127.0.0.1",
  logger = jsonLogger,
}: NodeServerOptions): Promise<NodeServer> {
  const db = openNodeDatabase({
    url: config.databaseUrl,
    authToken: config.databaseAuthToken,
    timeoutMs: config.databaseTimeoutMs,
  });
  await migrateDatabase(db);
  // Conversion events: the in-process dispatcher over the webhook tables (src/webhooks/dispatcher.ts).
  const dispatcher = startDispatcher(webhookRunnerDeps(db, config, logger));
  const app = createApp({
    db,
    auth: authOptions(config),
    corsOrigins: config.corsOrigins,
    databaseTimeoutMs: config.databaseTimeoutMs,
    logger,
    assets: nodeAssets(),
    webhooks: {
      allowInsecureUrls: config.webhookAllowInsecureUrls,
      secretKey: config.webhookSecretKey,
      announce: () => dispatcher.wake(),
    },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname }, () => resolve(s as Server));
    s.once("error", reject);
  });
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://${hostname}:${boundPort}`,
    close: async () => {
      await dispatcher.stop(); // conversion events: attempts in flight finish before the database closes
      await new Promise<void>((resolve) => {
        server.close(() => {
          db.$client.close();
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = parseEnv({ TURSO_DATABASE_URL: DEFAULT_DATABASE_URL, ...process.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`invalid configuration: PORT must be a port number, got ${process.env.PORT}`);
    process.exit(1);
  }
  const server = await startNodeServer({ config, port, hostname: process.env.HOST ?? "127.0.0.1" });
  jsonLogger.info({ msg: "listening", url: server.url });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
