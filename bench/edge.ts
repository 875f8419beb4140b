import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client/http";
import { createApp, inProcessRateLimits } from "../src/app";
import { nitKey } from "../src/domain/nit-key";
import { openRemoteDatabase } from "../src/db/client";
import { startLibsqlServer } from "../scripts/libsql-server/server";
import { issueToken } from "../scripts/lib/token";
import { startWorker } from "../scripts/lib/worker";
import { openNodeDatabase } from "../src/db/client-node";
import { migrateDatabase } from "../src/db/migrate";
import { clients, financialEntities, leads } from "../src/db/schema";
import { seedBenchData } from "./lib/data";
import { percentile, round } from "./lib/stats";
import { naiveConvert } from "./naive-peer";

const SECRET = "bench-secret-bench-secret-bench-secret-01";
const WARM_UP_REQUESTS = 200;

export interface EdgeResult {
  rtt_ms: number;
  conversions: number;
  db_requests_per_conversion: number;
  db_requests_by_path: Record<string, number>;
  edge_p50_ms: number;
  edge_p99_ms: number;
  edge_workerd_p50_ms: number;
  edge_workerd_p99_ms: number;
  naive_conversions: number;
  naive_db_requests_per_conversion: number;
  naive_edge_p50_ms: number;
  naive_edge_p99_ms: number;
}

/**
 * The edge model: the service and its database one simulated round trip
 * apart, through the local libSQL server; sequential conversions of distinct
 * leads, timed at the caller and counted at the database. The service runs
 * twice: the app in this process (the Worker's code on Node, which times only
 * the conversion path), and the Worker in workerd (whose times also include
 * wrangler's local proxy). Beside them, the naive peer on the same server.
 */
export async function measureEdge({ rttMs, conversions, naiveConversions }: { rttMs: number; conversions: number; naiveConversions: number }): Promise<EdgeResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-edge-"));
  const dbPath = join(dir, "edge.db");
  const db = openNodeDatabase({ url: `file:${dbPath}` });
  await migrateDatabase(db);
  const data = await seedBenchData(db, 2 * conversions + naiveConversions + 20);
  const server = await startLibsqlServer({ dbPath });
  // One token makes every conversion here, past the spec's 600 a minute: this run sets its own budgets.
  const unlimited = { type: "ratelimit", simple: { limit: 1_000_000, period: 60 } };
  const worker = await startWorker(
    { TURSO_DATABASE_URL: server.url, JWT_SECRET: SECRET, RATE_LIMIT_CONVERSIONS_PER_MINUTE: "1000000", RATE_LIMIT_REQUESTS_PER_MINUTE: "1000000" },
    { bindings: { CONVERSIONS_RATE_LIMITER: { ...unlimited, namespace_id: "1001" }, REQUESTS_RATE_LIMITER: { ...unlimited, namespace_id: "1002" } } },
  );
  const app = createApp({
    db: openRemoteDatabase({ url: server.url, timeoutMs: 5_000 }),
    auth: { secret: SECRET },
    rateLimits: inProcessRateLimits({ conversions: 1_000_000, requests: 1_000_000 }),
    logger: { info: () => {}, error: () => {} },
  });
  const token = await issueToken({ secret: SECRET, financialEntityId: data.entityId });
  const request = (leadId: string, entityId: string, bearer: string): RequestInit => ({
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ lead_id: leadId, financial_entity_id: entityId }),
  });
  const convertInProcess = async (leadId: string) => {
    const res = await app.request("/turn-lead-into-client", request(leadId, data.entityId, token));
    await res.arrayBuffer();
    return res.status;
  };
  const convert = async (leadId: string, entityId = data.entityId, bearer = token) => {
    const res = await fetch(new URL("/turn-lead-into-client", worker.url), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ lead_id: leadId, financial_entity_id: entityId }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  /** Database requests one call makes, from the server's counter. */
  const counted = async (call: () => Promise<unknown>) => {
    server.resetStats();
    await call();
    return server.pipelineRequests();
  };

  try {
    const [ours, oursInWorkerd, naive, extra] = [
      data.leadIds.slice(0, conversions),
      data.leadIds.slice(conversions, 2 * conversions),
      data.leadIds.slice(2 * conversions, 2 * conversions + naiveConversions),
      data.leadIds.slice(2 * conversions + naiveConversions),
    ];
    // Warm both runtimes (JIT, connections) before timing: replays run the whole path.
    for (let i = 0; i < WARM_UP_REQUESTS; i += 1) {
      await convert(extra[0]!);
      await convertInProcess(extra[3]!);
    }
    server.setLatency(rttMs);

    let requests = 0;
    const timeConversions = async (leadIds: string[], send: (leadId: string) => Promise<number>) => {
      const latencies: number[] = [];
      for (const leadId of leadIds) {
        const started = performance.now();
        requests += await counted(async () => {
          const status = await send(leadId);
          if (status !== 200) throw new Error(`conversion answered ${status}`);
        });
        latencies.push(performance.now() - started);
      }
      return latencies;
    };
    const latencies = await timeConversions(ours, convertInProcess);
    const workerdLatencies = await timeConversions(oursInWorkerd, (leadId) => convert(leadId));

    // Every outcome the database decides, one request each.
    const [suspended, rival] = [crypto.randomUUID(), crypto.randomUUID()];
    await db.insert(financialEntities).values([
      { id: suspended, ecosystemId: data.ecosystemId, name: "Suspended", status: "suspended" },
      { id: rival, ecosystemId: data.ecosystemId, name: "Rival" },
    ]);
    const assigned = crypto.randomUUID();
    const clash = crypto.randomUUID();
    await db.insert(leads).values([
      { id: assigned, ecosystemId: data.ecosystemId, financialEntityId: rival, name: "Held" },
      { id: clash, ecosystemId: data.ecosystemId, name: "Twin", nit: "55-5", nitKey: nitKey("55-5") },
    ]);
    await db.insert(clients).values({ id: crypto.randomUUID(), financialEntityId: data.entityId, ecosystemId: data.ecosystemId, nit: "555", nitKey: nitKey("555") });
    const [suspendedToken, rivalToken] = await Promise.all([
      issueToken({ secret: SECRET, financialEntityId: suspended }),
      issueToken({ secret: SECRET, financialEntityId: rival }),
    ]);
    const ghost = crypto.randomUUID();
    const byPath: Record<string, number> = {
      "200 new client": await counted(() => convert(extra[1]!)),
      "200 replay": await counted(() => convert(extra[1]!)),
      "403 financial_entity_suspended": await counted(() => convert(extra[2]!, suspended, suspendedToken)),
      "404 financial_entity_not_found": await counted(async () => convert(extra[2]!, ghost, await issueToken({ secret: SECRET, financialEntityId: ghost }))),
      "404 lead_not_found": await counted(() => convert(crypto.randomUUID())),
      "409 lead_assigned_to_other_entity": await counted(() => convert(assigned)),
      "409 lead_already_converted": await counted(() => convert(extra[1]!, rival, rivalToken)),
      "409 client_already_exists": await counted(() => convert(clash)),
    };

    const client = createClient({ url: server.url });
    const naiveLatencies: number[] = [];
    let naiveRequests = 0;
    for (const leadId of naive) {
      const started = performance.now();
      naiveRequests += await counted(async () => {
        if ((await naiveConvert(client, leadId, data.entityId, data.entityId)) !== "converted") throw new Error("naive peer refused");
      });
      naiveLatencies.push(performance.now() - started);
    }
    client.close();

    const perPath = Object.values(byPath);
    return {
      rtt_ms: rttMs,
      conversions,
      db_requests_per_conversion: Math.max(...perPath, requests / (2 * conversions)),
      db_requests_by_path: byPath,
      edge_p50_ms: round(percentile(latencies, 0.5)),
      edge_p99_ms: round(percentile(latencies, 0.99)),
      edge_workerd_p50_ms: round(percentile(workerdLatencies, 0.5)),
      edge_workerd_p99_ms: round(percentile(workerdLatencies, 0.99)),
      naive_conversions: naiveConversions,
      naive_db_requests_per_conversion: round(naiveRequests / naiveConversions, 2),
      naive_edge_p50_ms: round(percentile(naiveLatencies, 0.5)),
      naive_edge_p99_ms: round(percentile(naiveLatencies, 0.99)),
    };
  } finally {
    await worker.dispose();
    await server.close();
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
