// npm start — the API as it runs in production: the Worker in workerd (wrangler dev),
// talking over HTTP to a local libSQL server on the embedded database file.
// npm run start:node (--node) — the same API from the Node entry, on the file directly.
//
// Both migrate the database, load the demo data when it is empty, and print a token and
// a curl that converts a demo lead. Settings: the environment over .dev.vars.
// SIGINT or SIGTERM stops everything gracefully, wrangler's children included.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { embeddedPath, openNodeDatabase } from "../src/db/client-node";
import { migrateDatabase } from "../src/db/migrate";
import { type Config, ConfigError, parseEnv } from "../src/env";
import { type Closer, DEFAULT_DATABASE_URL, DEFAULT_PORT, shutDown, startNodeServer } from "../src/node";
import { writeAssets } from "./assets";
import { printBanner } from "./lib/banner";
import { convertibleDemoLead, seedDemoIfEmpty } from "./lib/demo";
import { ensureDevSecret, loadDevEnv } from "./lib/dev-env";
import { stopProcessGroup } from "./lib/processes";
import { startLibsqlServer } from "./libsql-server/server";

// The settings the Worker reads; the rest of the environment is not its business.
const WORKER_VARS = [
  "TURSO_DATABASE_URL",
  "TURSO_AUTH_TOKEN",
  "JWT_SECRET",
  "JWT_ISSUER",
  "JWT_AUDIENCE",
  "DATABASE_TIMEOUT_MS",
  "JWT_JWKS_URL",
  "JWT_JWKS_ALGORITHMS",
  "JWT_JWKS_CACHE_SECONDS",
  "CORS_ALLOWED_ORIGINS",
  "WEBHOOK_RETRY_SCHEDULE",
  "WEBHOOK_ALLOW_INSECURE_URLS",
  "WEBHOOK_SECRET_KEY",
];
// Conversion events: local receivers are http://127.0.0.1…, so local work allows them unless told otherwise.
const LOCAL_DEFAULTS: Record<string, string | undefined> = { WEBHOOK_ALLOW_INSECURE_URLS: "true" };
// How often the local stand-in for the Cron Trigger sweeps due deliveries (the deployed cron runs every minute).
const LOCAL_SWEEP_MS = 10_000;

ensureDevSecret();
const env = { ...LOCAL_DEFAULTS, ...loadDevEnv() };
const databaseUrl = env.TURSO_DATABASE_URL || DEFAULT_DATABASE_URL;
let config: Config;
try {
  config = parseEnv({ ...env, TURSO_DATABASE_URL: databaseUrl });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const port = Number(env.PORT || DEFAULT_PORT);

const db = openNodeDatabase({ url: config.databaseUrl, authToken: config.databaseAuthToken });
await migrateDatabase(db);
const seeded = await seedDemoIfEmpty(db);
const leadId = await convertibleDemoLead(db);
db.$client.close();
const notes = [`database: ${databaseUrl}${seeded ? " (demo data loaded)" : ""}`];
if (config.webhookAllowInsecureUrls)
  notes.push(
    "webhooks: insecure webhook URLs allowed (local development; WEBHOOK_ALLOW_INSECURE_URLS=false keeps the rules)",
  );

// Started in order, stopped in reverse: the database server outlives the Worker that uses it.
const stops: Closer[] = [];
let _stopping: Promise<void> | undefined;
const stop = (code: number) => {
  _stopping ??= shutDown(stops.reverse()).then(() => process.exit(code));
};
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

if (process.argv.includes("--node")) {
  const server = await startNodeServer({ config, port });
  stops.push(() => server.close());
  await printBanner({ runtime: "Node entry (src/node.ts)", url: server.url, config, leadId, notes });
} else {
  let workerDatabaseUrl = config.databaseUrl;
  const path = embeddedPath(config.databaseUrl);
  if (path !== null) {
    // The Worker reaches databases over HTTP only: serve the file the way Turso would.
    const server = await startLibsqlServer({ dbPath: path, port: Number(env.LIBSQL_SERVER_PORT || 0) });
    stops.push(() => server.close());
    workerDatabaseUrl = server.url;
    notes.push(`libSQL server: ${server.url} (serving ${path})`);
  }
  writeAssets();

  // Exactly these settings, in a file only this user can read: wrangler dev reads it instead of .dev.vars.
  mkdirSync(".wrangler", { recursive: true });
  const envFile = ".wrangler/start.env";
  const vars = {
    ...Object.fromEntries(WORKER_VARS.map((name) => [name, env[name]])),
    TURSO_DATABASE_URL: workerDatabaseUrl,
  };
  writeFileSync(
    envFile,
    Object.entries(vars)
      .filter(([, value]) => value)
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join("\n"),
    { mode: 0o600 },
  );

  // In a process group of its own (wrangler → node → workerd, esbuild), so that stopping
  // reaches every one of them, and a terminal's Ctrl-C reaches them only through us.
  const wrangler: ChildProcess = spawn(
    "node_modules/.bin/wrangler",
    [
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--env-file",
      envFile,
      "--show-interactive-dev-session=false",
      "--test-scheduled",
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  stops.push(() => stopProcessGroup(wrangler));
  wrangler.once("exit", (code) => stop(code ?? 1));

  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    const ready = await fetch(`${url}/healthz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (attempt > 600) {
      console.error("wrangler dev did not answer within a minute.");
      stop(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The Cron Trigger, locally: wrangler dev runs the queue and its consumer, but not crons.
  const sweep = setInterval(
    () =>
      void fetch(`${url}/__scheduled`).then(
        (res) => res.arrayBuffer(),
        () => undefined,
      ),
    LOCAL_SWEEP_MS,
  );
  stops.push(() => clearInterval(sweep));
  notes.push(
    `events: Queue and consumer in wrangler dev; due deliveries swept every ${LOCAL_SWEEP_MS / 1000} s (GET /__scheduled)`,
  );
  await printBanner({ runtime: "Cloudflare Worker in workerd (wrangler dev)", url, config, leadId, notes });
}
