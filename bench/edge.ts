import { issueToken } from "../scripts/lib/token";
import { createDatabase } from "../src/db/client";
import { prepareConversionBatch } from "../src/db/conversion-store";
import { clients, financialEntities, leads } from "../src/db/schema";
import { nitKey } from "../src/domain/nit-key";
import { fairConvert } from "./fair-peer";
import { benchCommand } from "./lib/command";
import { BENCH_SECRET, type EdgeEnv } from "./lib/edge-env";
import { percentile, round } from "./lib/stats";
import { naiveConvert } from "./naive-peer";

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
  worker_healthz_p50_ms: number;
  worker_overhead_p50_ms: number;
  /** `GET /readyz` on the Worker: proxy, Worker, one trivial database request. */
  worker_readyz_p50_ms: number;
  /** p50(conversion) − p50(/readyz) on the Worker: what converting costs beyond a trivial database request. */
  worker_conversion_over_readyz_p50_ms: number;
  db_batch_p50_ms: number;
  /** A `select 1` batch sent by the same HTTP client: the local server's and the client's own cost of a request. */
  db_floor_p50_ms: number;
  naive_conversions: number;
  naive_db_requests_per_conversion: number;
  naive_edge_p50_ms: number;
  naive_edge_p99_ms: number;
  fair_peer_conversions: number;
  fair_peer_db_requests_per_conversion: number;
  fair_peer_edge_p50_ms: number;
  fair_peer_edge_p99_ms: number;
}

export interface EdgeSizes {
  rttMs: number;
  conversions: number;
  naiveConversions: number;
  fairConversions: number;
}

/** Leads {@link measureEdge} takes from the pool. */
export const edgeLeadsNeeded = ({ conversions, naiveConversions, fairConversions }: EdgeSizes) =>
  3 * conversions + naiveConversions + fairConversions + 10;

/**
 * Sequential conversions of distinct leads, one simulated round trip between
 * the service and its database, timed at the caller and counted at the
 * database: through the app in this process (the Worker's code and HTTP
 * client on Node), through the Worker in workerd — each conversion followed by
 * a `GET /healthz` on the same hop, so the local proxy's own cost can be taken
 * out — and the bare conversion batch sent straight by the HTTP client (what the
 * database hop costs with no service around it). Beside them, both peers on the
 * same server, and the request count of every outcome the database decides.
 */
export async function measureEdge(env: EdgeEnv, sizes: EdgeSizes): Promise<EdgeResult> {
  const { rttMs, conversions, naiveConversions, fairConversions } = sizes;
  const { server, data } = env;
  const ours = env.takeLeads(conversions);
  const oursInWorkerd = env.takeLeads(conversions);
  const bare = env.takeLeads(conversions);
  const naive = env.takeLeads(naiveConversions);
  const fair = env.takeLeads(fairConversions);
  const [warm, replayed, refusedBySuspension, warmFair] = env.takeLeads(4);
  const naiveClient = env.peerClient();
  const fairDb = createDatabase(env.peerClient());

  // Warm both runtimes (JIT, connections) before timing: replays run the whole path.
  server.setLatency(0);
  await fairConvert(fairDb, warmFair!, data.entityId, data.entityId);
  for (let i = 0; i < WARM_UP_REQUESTS; i += 1) {
    await env.convertOnWorker(warm!);
    await env.healthzOnWorker();
    await env.readyzOnWorker();
    await env.convertInProcess(warm!);
    await fairConvert(fairDb, warmFair!, data.entityId, data.entityId);
  }
  server.setLatency(rttMs);

  /**
   * Times each conversion and adds up its database requests; every one must end `converted` (a status
   * for ours, an outcome for a peer). `between` runs untimed and uncounted after each.
   */
  const timeConversions = async <T>(
    leadIds: string[],
    convert: (leadId: string) => Promise<T>,
    converted: T,
    between?: () => Promise<void>,
  ) => {
    const latencies: number[] = [];
    let requests = 0;
    for (const leadId of leadIds) {
      const started = performance.now();
      requests += await env.counted(async () => {
        const result = await convert(leadId);
        if (result !== converted) throw new Error(`a conversion ended ${result}`);
      });
      latencies.push(performance.now() - started);
      await between?.();
    }
    return { latencies, requests };
  };
  const inProcess = await timeConversions(ours, env.convertInProcess, 200);
  const healthz: number[] = [];
  const readyz: number[] = [];
  const time = async (into: number[], call: () => Promise<number>, what: string) => {
    const started = performance.now();
    if ((await call()) !== 200) throw new Error(`${what} did not answer 200`);
    into.push(performance.now() - started);
  };
  const inWorkerd = await timeConversions(
    oursInWorkerd,
    (leadId) => env.convertOnWorker(leadId),
    200,
    async () => {
      await time(healthz, env.healthzOnWorker, "/healthz");
    },
  );
  // /readyz asks the database at most once a second per isolate (limits.md): each sample waits past that, so
  // every timed /readyz makes its one trivial database request.
  for (let i = 0; i < Math.min(20, 3 + Math.ceil(conversions / 10)); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await time(readyz, env.readyzOnWorker, "/readyz");
  }
  const batch = prepareConversionBatch(env.remote);
  const bareRun = await timeConversions(
    bare,
    async (leadId) => {
      const command = benchCommand(leadId, data.entityId);
      const snapshot = batch.snapshotFrom(await env.remote.$client.batch(batch.statementsFor(command), "write"));
      return snapshot.lead?.client?.id === command.clientId ? 200 : 500;
    },
    200,
  );

  const floor: number[] = [];
  for (let i = 0; i < conversions; i += 1) {
    await time(floor, async () => (await env.remote.$client.batch(["select 1"], "read"), 200), "select 1");
  }

  const byPath = await requestsByOutcome(env, { replayed: replayed!, refusedBySuspension: refusedBySuspension! });

  const naiveRun = await timeConversions(
    naive,
    (leadId) => naiveConvert(naiveClient, leadId, data.entityId, data.entityId),
    "converted",
  );
  const fairRun = await timeConversions(
    fair,
    (leadId) => fairConvert(fairDb, leadId, data.entityId, data.entityId),
    "converted",
  );

  const requests = inProcess.requests + inWorkerd.requests + bareRun.requests;
  const workerdP50 = percentile(inWorkerd.latencies, 0.5);
  const healthzP50 = percentile(healthz, 0.5);
  return {
    rtt_ms: rttMs,
    conversions,
    db_requests_per_conversion: Math.max(...Object.values(byPath), requests / (3 * conversions)),
    db_requests_by_path: byPath,
    edge_p50_ms: round(percentile(inProcess.latencies, 0.5)),
    edge_p99_ms: round(percentile(inProcess.latencies, 0.99)),
    edge_workerd_p50_ms: round(workerdP50),
    edge_workerd_p99_ms: round(percentile(inWorkerd.latencies, 0.99)),
    worker_healthz_p50_ms: round(healthzP50),
    worker_overhead_p50_ms: round(workerdP50 - rttMs - healthzP50),
    worker_readyz_p50_ms: round(percentile(readyz, 0.5)),
    worker_conversion_over_readyz_p50_ms: round(workerdP50 - percentile(readyz, 0.5)),
    db_batch_p50_ms: round(percentile(bareRun.latencies, 0.5)),
    db_floor_p50_ms: round(percentile(floor, 0.5)),
    naive_conversions: naiveConversions,
    naive_db_requests_per_conversion: round(naiveRun.requests / naiveConversions, 2),
    naive_edge_p50_ms: round(percentile(naiveRun.latencies, 0.5)),
    naive_edge_p99_ms: round(percentile(naiveRun.latencies, 0.99)),
    fair_peer_conversions: fairConversions,
    fair_peer_db_requests_per_conversion: round(fairRun.requests / fairConversions, 2),
    fair_peer_edge_p50_ms: round(percentile(fairRun.latencies, 0.5)),
    fair_peer_edge_p99_ms: round(percentile(fairRun.latencies, 0.99)),
  };
}

/** Every outcome the database decides, through the Worker, with the requests each made. */
async function requestsByOutcome(
  env: EdgeEnv,
  leadIds: { replayed: string; refusedBySuspension: string },
): Promise<Record<string, number>> {
  const { db, data } = env;
  const [suspended, rival, ghost] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  await db.insert(financialEntities).values([
    { id: suspended, ecosystemId: data.ecosystemId, name: "Suspended", status: "suspended" },
    { id: rival, ecosystemId: data.ecosystemId, name: "Rival" },
  ]);
  const assigned = crypto.randomUUID();
  const clash = crypto.randomUUID();
  await db.insert(leads).values([
    { id: assigned, ecosystemId: data.ecosystemId, financialEntityId: rival, name: "Held" },
    { id: clash, ecosystemId: data.ecosystemId, name: "Twin", nit: "899.999.068-1", nitKey: nitKey("899.999.068-1") },
  ]);
  await db.insert(clients).values({
    id: crypto.randomUUID(),
    financialEntityId: data.entityId,
    ecosystemId: data.ecosystemId,
    nit: "899999068",
    nitKey: nitKey("899999068"),
  });
  const [suspendedToken, rivalToken, ghostToken] = await Promise.all(
    [suspended, rival, ghost].map((financialEntityId) => issueToken({ secret: BENCH_SECRET, financialEntityId })),
  );
  return {
    "200 new client": await env.counted(() => env.convertOnWorker(leadIds.replayed)),
    "200 replay": await env.counted(() => env.convertOnWorker(leadIds.replayed)),
    "403 financial_entity_suspended": await env.counted(() =>
      env.convertOnWorker(leadIds.refusedBySuspension, suspended, suspendedToken),
    ),
    "404 financial_entity_not_found": await env.counted(() =>
      env.convertOnWorker(leadIds.refusedBySuspension, ghost, ghostToken),
    ),
    "404 lead_not_found": await env.counted(() => env.convertOnWorker(crypto.randomUUID())),
    "409 lead_assigned_to_other_entity": await env.counted(() => env.convertOnWorker(assigned)),
    "409 lead_already_converted": await env.counted(() => env.convertOnWorker(leadIds.replayed, rival, rivalToken)),
    "409 client_already_exists": await env.counted(() => env.convertOnWorker(clash)),
  };
}
