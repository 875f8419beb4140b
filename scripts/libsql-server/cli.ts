// Runs the local libSQL HTTP server on the development database.
//
//   npx tsx scripts/libsql-server/cli.ts [--port 8080] [--host 127.0.0.1] [--latency <ms>] [--admin]
//
// Environment (over .dev.vars): TURSO_DATABASE_URL (a file: URL, default file:.data/dev.db),
// LIBSQL_SERVER_PORT (default 8080, --port wins), TURSO_AUTH_TOKEN (optional).
// It serves the file as it is: migrations are run separately.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { embeddedPath } from "../../src/db/client-node";
import { loadDevEnv } from "../lib/dev-env";
import { startLibsqlServer } from "./server";

const USAGE = "Usage: npx tsx scripts/libsql-server/cli.ts [--port <n>] [--host <address>] [--latency <ms>] [--admin]";
const PORT_ERROR = "--port or LIBSQL_SERVER_PORT must be a port number (0-65535)";
const LATENCY_ERROR = "--latency must be a non-negative number of ms";

const Config = z.object({
  databaseUrl: z.string().startsWith("file:", "TURSO_DATABASE_URL must be a file: URL for the local server"),
  port: z.string().regex(/^\d+$/, PORT_ERROR).transform(Number).pipe(z.int().max(65_535, PORT_ERROR)),
  host: z.string().min(1, "--host must not be empty"),
  latencyMs: z
    .string()
    .regex(/^\d+(\.\d+)?$/, LATENCY_ERROR)
    .transform(Number),
  authToken: z.string().optional(),
  admin: z.boolean(),
});

const flags = parseFlags();
const env = loadDevEnv();
const parsed = Config.safeParse({
  databaseUrl: unsetIfEmpty(env.TURSO_DATABASE_URL) ?? "file:.data/dev.db",
  port: flags.port ?? unsetIfEmpty(env.LIBSQL_SERVER_PORT) ?? "8080",
  host: flags.host,
  latencyMs: flags.latency,
  authToken: unsetIfEmpty(env.TURSO_AUTH_TOKEN),
  admin: flags.admin,
});
if (!parsed.success) fail(z.prettifyError(parsed.error));
const config = parsed.data;

const dbPath = embeddedPath(config.databaseUrl) ?? fail("TURSO_DATABASE_URL must name a database file");
mkdirSync(dirname(dbPath), { recursive: true });

const server = await startLibsqlServer({
  dbPath,
  port: config.port,
  host: config.host,
  latencyMs: config.latencyMs,
  authToken: config.authToken,
  admin: config.admin,
}).catch((error: unknown) => fail(`could not start: ${error instanceof Error ? error.message : String(error)}`));

const notes = [
  `database ${dbPath}`,
  config.authToken ? "auth token required" : "no auth",
  config.admin ? "admin on" : "",
];
console.log(`libsql-server listening on ${server.url} (${notes.filter(Boolean).join(", ")})`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close());
}

function parseFlags() {
  try {
    return parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string", default: "127.0.0.1" },
        latency: { type: "string", default: "0" },
        admin: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
}

// An empty variable means "not set", as in .dev.vars.
function unsetIfEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

function fail(message: string): never {
  console.error(`libsql-server: ${message}`);
  process.exit(1);
}
