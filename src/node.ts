import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { createApp, inProcessRateLimits } from "./app";
import { nodeAssets } from "./assets-node";
import { openNodeDatabase } from "./db/client-node";
import { migrateDatabase } from "./db/migrate";
import { type Config, ConfigError, parseEnv } from "./env";
import { authOptions } from "./http/auth";
import type { AppEnv } from "./http/types";
import { describeError, jsonLogger, type Logger } from "./log";
import { startDispatcher } from "./webhooks/dispatcher";
import { pinnedTransport, type ResolveHost } from "./webhooks/pinned-transport";
import { webhookRunnerDeps } from "./webhooks/runner-deps";

export const DEFAULT_DATABASE_URL = "file:.data/dev.db";
export const DEFAULT_PORT = 8787;

export interface NodeServerOptions {
  config: Config;
  port?: number;
  hostname?: string;
  logger?: Logger;
  /** How webhook host names are resolved before each send: node:dns unless told (tests point names at 127.0.0.1). */
  resolveWebhookHost?: ResolveHost;
}

export interface NodeServer {
  url: string;
  /**
   * Stops gracefully: stops accepting connections, lets the requests in
   * flight finish (up to {@link SHUTDOWN_GRACE_MS}), then closes the database.
   */
  close(): Promise<void>;
}

/** How long a shutdown waits for the requests in flight before dropping their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** One step of a shutdown; see {@link shutDown}. */
export type Closer = () => Promise<void> | void;

/**
 * Runs a shutdown's steps one after the other, each once, even when an earlier
 * one failed — so whatever was opened is closed. Order them from what takes
 * new work (the HTTP server) to what the work needs (the database).
 */
export async function shutDown(closers: Closer[], logger: Logger = jsonLogger): Promise<void> {
  for (const close of closers) {
    try {
      await close();
    } catch (error) {
      logger.error({ msg: "shutdown step failed", error: describeError(error) });
    }
  }
}

/** Stops accepting, and closes keep-alive connections as they go idle, dropping the busy ones after `graceMs`. */
function closeHttpServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    // A connection whose request finishes after close() stays open for keep-alive; close it as soon as it is idle.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * The client address of a request to the Node entry: the socket's peer; with
 * `TRUST_PROXY=true`, the last `X-Forwarded-For` entry — the one the proxy in
 * front appended (earlier entries are the client's own word).
 */
export function nodeClientAddress(trustProxy: boolean) {
  return (c: Context<AppEnv>): string | undefined => {
    if (trustProxy) {
      const forwarded = c.req.header("X-Forwarded-For")?.split(",").at(-1)?.trim();
      if (forwarded) return forwarded;
    }
    try {
      return getConnInfo(c).remote.address;
    } catch {
      // Not served by @hono/node-server (app.request in a test): no socket to ask.
      return undefined;
    }
  };
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
  resolveWebhookHost,
}: NodeServerOptions): Promise<NodeServer> {
  const db = openNodeDatabase({
    url: config.databaseUrl,
    authToken: config.databaseAuthToken,
    timeoutMs: config.databaseTimeoutMs,
  });
  await migrateDatabase(db);
  // Conversion events: the in-process dispatcher over the webhook tables (src/webhooks/dispatcher.ts), on a
  // connection of its own: an embedded client runs its calls one at a time, and a claim waiting for another
  // process's write lock must not hold requests (a failed key's 401, a read) behind it.
  // (An in-memory database exists once per connection: it is shared.)
  const dispatcherDb = config.databaseUrl.includes(":memory:")
    ? db
    : openNodeDatabase({
        url: config.databaseUrl,
        authToken: config.databaseAuthToken,
        timeoutMs: config.databaseTimeoutMs,
      });
  // Each send resolves the host, checks every address and connects to those (Cloudflare does this on the Worker).
  const transport = pinnedTransport({ allowInsecure: config.webhookAllowInsecureUrls, resolve: resolveWebhookHost });
  const dispatcher = startDispatcher(webhookRunnerDeps(dispatcherDb, config, logger, transport));
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
    rateLimits: inProcessRateLimits(config.rateLimits),
    clientAddress: nodeClientAddress(config.trustProxy),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname }, () => resolve(s as Server));
    s.once("error", reject);
  });
  const { port: boundPort } = server.address() as AddressInfo;
  // The shutdown, in order: the requests in flight (which may wake the dispatcher), then the
  // dispatcher's attempts in flight, then the database they need.
  const closers: Closer[] = [
    () => closeHttpServer(server, SHUTDOWN_GRACE_MS),
    () => dispatcher.stop(),
    () => {
      if (dispatcherDb !== db) dispatcherDb.$client.close();
    },
    () => db.$client.close(),
  ];
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostname}:${boundPort}`,
    close: () => (closing ??= shutDown(closers, logger)),
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
    process.on(signal, () => {
      jsonLogger.info({ msg: "stopping", signal });
      void server.close().then(() => process.exit(0));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
