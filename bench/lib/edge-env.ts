import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client/http";
import { issueToken } from "../../scripts/lib/token";
import { startWorker, type WorkerHandle } from "../../scripts/lib/worker";
import { type LibsqlServer, startLibsqlServer } from "../../scripts/libsql-server/server";
import { createApp, inProcessRateLimits } from "../../src/app";
import { type Database, openRemoteDatabase } from "../../src/db/client";
import { openNodeDatabase } from "../../src/db/client-node";
import { migrateDatabase } from "../../src/db/migrate";
import { type BenchData, seedBenchData } from "./data";

export const BENCH_SECRET = "bench-secret-bench-secret-bench-secret-01";
export const CONVERT_PATH = "/turn-lead-into-client";

// The interactive-transaction peer holds the write lock across its round trips, so
// under contention callers queue for it for many seconds; the server's default 5 s
// wait would turn that queue into SQLITE_BUSY failures instead of showing its cost.
const LOCK_WAIT_MS = 300_000;
const UNLIMITED = 1_000_000;

/** A conversion attempt by one implementation; resolves to the HTTP status, or 200 for a peer that converted. */
export type Convert = (leadId: string) => Promise<number>;

/**
 * The edge model shared by the edge measurements: a database file served by
 * the local libSQL server (which can add a simulated round trip to every
 * request), the app in this process over the Worker's HTTP client, the real
 * Worker in workerd, and a pool of unconverted leads handed out once each.
 */
export interface EdgeEnv {
  server: LibsqlServer;
  worker: WorkerHandle;
  /** The embedded handle on the same file, for setting up data (not timed). */
  db: Database;
  /** The Worker's HTTP database client, as the app uses it. */
  remote: Database;
  data: BenchData;
  token: string;
  /** A fresh HTTP client for a peer: no queue in front of the server, as the app's. */
  peerClient(): Client;
  /** `count` leads nobody has used yet. */
  takeLeads(count: number): string[];
  /** Converts through the app in this process. */
  convertInProcess: Convert;
  /** POSTs a JSON body with the bench token (or `bearer`) to the app in this process. */
  postInProcess(path: string, body: unknown, bearer?: string): Promise<Response>;
  /** Converts through the Worker in workerd (wrangler's local proxy in front). */
  convertOnWorker(leadId: string, entityId?: string, bearer?: string): Promise<number>;
  /** `GET /healthz` on the Worker: the same hop, no database. */
  healthzOnWorker(): Promise<number>;
  /** `GET /readyz` on the Worker: the same hop and one trivial database request (`select 1`). */
  readyzOnWorker(): Promise<number>;
  /** Pipeline requests the server received while `call` ran. Only meaningful with nothing else running. */
  counted(call: () => Promise<unknown>): Promise<number>;
  close(): Promise<void>;
}

/**
 * A POST of `body` as JSON with `bearer` as the credential.
 *
 * @example
 * await app.request(CONVERT_PATH, postJson(token, { lead_id: leadId, financial_entity_id: entityId }));
 */
export const postJson = (bearer: string, body: unknown): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
  body: JSON.stringify(body),
});

const conversionRequest = (leadId: string, entityId: string, bearer: string) =>
  postJson(bearer, { lead_id: leadId, financial_entity_id: entityId });

/** Sets up the edge model on a fresh database of `leads` unconverted leads (round trip 0 until `server.setLatency`). */
export async function openEdgeEnv({ leads }: { leads: number }): Promise<EdgeEnv> {
  const dir = mkdtempSync(join(tmpdir(), "bench-edge-"));
  const dbPath = join(dir, "edge.db");
  const db = openNodeDatabase({ url: `file:${dbPath}` });
  await migrateDatabase(db);
  const data = await seedBenchData(db, leads);
  const server = await startLibsqlServer({ dbPath, busyWaitMs: LOCK_WAIT_MS });
  // One token makes every conversion here, far past the spec's 600 a minute: this model sets its own budgets.
  const unlimited = { type: "ratelimit", simple: { limit: UNLIMITED, period: 60 } };
  const worker = await startWorker(
    {
      TURSO_DATABASE_URL: server.url,
      JWT_SECRET: BENCH_SECRET,
      RATE_LIMIT_CONVERSIONS_PER_MINUTE: String(UNLIMITED),
      RATE_LIMIT_REQUESTS_PER_MINUTE: String(UNLIMITED),
      RATE_LIMIT_ENTITY_CONVERSIONS_PER_MINUTE: String(UNLIMITED),
      RATE_LIMIT_ENTITY_REQUESTS_PER_MINUTE: String(UNLIMITED),
      WEBHOOK_ALLOW_INSECURE_URLS: "true",
    },
    {
      bindings: {
        CONVERSIONS_RATE_LIMITER: { ...unlimited, namespace_id: "1001" },
        REQUESTS_RATE_LIMITER: { ...unlimited, namespace_id: "1002" },
        // The entity's budgets too; the failed keys per address keep wrangler.toml's (bench/forged-keys.ts measures them).
        ENTITY_CONVERSIONS_RATE_LIMITER: { ...unlimited, namespace_id: "1003" },
        ENTITY_REQUESTS_RATE_LIMITER: { ...unlimited, namespace_id: "1004" },
      },
    },
  );
  const remote = openRemoteDatabase({ url: server.url, timeoutMs: 5_000 });
  const app = createApp({
    db: remote,
    auth: { secret: BENCH_SECRET },
    rateLimits: inProcessRateLimits({ conversions: UNLIMITED, requests: UNLIMITED }),
    logger: { info: () => {}, error: () => {} },
  });
  const token = await issueToken({ secret: BENCH_SECRET, financialEntityId: data.entityId });
  const peers: Client[] = [];
  let next = 0;

  return {
    server,
    worker,
    db,
    remote,
    data,
    token,
    peerClient() {
      const client = createClient({ url: server.url, concurrency: Number.POSITIVE_INFINITY });
      peers.push(client);
      return client;
    },
    takeLeads(count) {
      if (next + count > data.leadIds.length)
        throw new Error(`the bench seeded ${data.leadIds.length} leads, and needs more`);
      next += count;
      return data.leadIds.slice(next - count, next);
    },
    async convertInProcess(leadId) {
      const res = await app.request(CONVERT_PATH, conversionRequest(leadId, data.entityId, token));
      await res.arrayBuffer();
      return res.status;
    },
    postInProcess(path, body, bearer = token) {
      return Promise.resolve(app.request(path, postJson(bearer, body)));
    },
    async convertOnWorker(leadId, entityId = data.entityId, bearer = token) {
      const res = await fetch(new URL(CONVERT_PATH, worker.url), conversionRequest(leadId, entityId, bearer));
      await res.arrayBuffer();
      return res.status;
    },
    async healthzOnWorker() {
      const res = await fetch(new URL("/healthz", worker.url));
      await res.arrayBuffer();
      return res.status;
    },
    async readyzOnWorker() {
      const res = await fetch(new URL("/readyz", worker.url));
      await res.arrayBuffer();
      return res.status;
    },
    async counted(call) {
      server.resetStats();
      await call();
      return server.pipelineRequests();
    },
    async close() {
      for (const client of peers) client.close();
      remote.$client.close();
      await worker.dispose();
      await server.close();
      db.$client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
