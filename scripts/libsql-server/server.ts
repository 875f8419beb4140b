import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { SqlConnection } from "./connection";
import { createRequestHandler } from "./handler";
import { type FailureMode, Instruments } from "./instruments";
import { ConnectionPool } from "./pool";
import { StreamRegistry } from "./streams";

export interface LibsqlServerOptions {
  /** The SQLite database file; created if missing (its directory must exist). */
  dbPath: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** When set, every request but `GET /health` needs `Authorization: Bearer <authToken>`. */
  authToken?: string;
  /** Added to every request before it is answered, like a network round trip. */
  latencyMs?: number;
  /** An idle stream is closed (its transaction rolled back) after this long. Defaults to 10 s. */
  streamIdleTimeoutMs?: number;
  /** How long a statement keeps retrying while another stream holds the lock. Defaults to 5 s. */
  busyWaitMs?: number;
  /** Serves the instruments under `/__admin/`. */
  admin?: boolean;
}

export interface LibsqlServer {
  /** e.g. `http://127.0.0.1:49152`, ready for `createClient({ url })`. */
  url: string;
  port: number;
  /** `POST /v2/pipeline` requests received, injected failures and rejected ones included. */
  pipelineRequests(): number;
  resetStats(): void;
  setLatency(ms: number): void;
  /** Makes the next `count` pipeline requests fail the given way. */
  failNext(count: number, mode: FailureMode): void;
  /** Stops listening, drops open connections and closes every stream. */
  close(): Promise<void>;
}

const Options = z.object({
  dbPath: z.string().min(1),
  port: z.int().min(0).max(65_535).default(0),
  host: z.string().min(1).default("127.0.0.1"),
  authToken: z.string().min(1).optional(),
  latencyMs: z.number().nonnegative().default(0),
  streamIdleTimeoutMs: z.number().positive().default(10_000),
  busyWaitMs: z.number().nonnegative().default(5_000),
  admin: z.boolean().default(false),
});

/**
 * Starts a libSQL server speaking Hrana over HTTP (version 2) on a local
 * database file — what `@libsql/client/web` talks to in production, on this machine.
 *
 * @example
 * const server = await startLibsqlServer({ dbPath: "/tmp/test.db" });
 * const client = createClient({ url: server.url });
 * await client.execute("SELECT 1");
 * await server.close();
 */
export async function startLibsqlServer(options: LibsqlServerOptions): Promise<LibsqlServer> {
  const parsed = Options.safeParse(options);
  if (!parsed.success) throw new TypeError(`Invalid libSQL server options:\n${z.prettifyError(parsed.error)}`);
  const config = parsed.data;

  // Fails fast on an unusable path, and puts the file in WAL mode before any stream opens.
  SqlConnection.open(config.dbPath).close();

  const instruments = new Instruments(config.latencyMs);
  const streams = new StreamRegistry({
    connections: new ConnectionPool(() => SqlConnection.open(config.dbPath)),
    idleTimeoutMs: config.streamIdleTimeoutMs,
    busyWaitMs: config.busyWaitMs,
  });
  const server = createServer(
    createRequestHandler({ instruments, streams, authToken: config.authToken, admin: config.admin }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    pipelineRequests: () => instruments.pipelineRequests,
    resetStats: () => instruments.resetStats(),
    setLatency: (ms) => instruments.setLatency(ms),
    failNext: (count, mode) => instruments.failNext(count, mode),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        streams.shutDown();
      }),
  };
}
