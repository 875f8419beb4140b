import autocannon from "autocannon";
import { anonymousMb, rssMb } from "../scripts/lib/processes";
import { issueToken } from "../scripts/lib/token";
import { prepareConversionBatch } from "../src/db/conversion-store";
import { benchCommand } from "./lib/command";
import { seedBenchData } from "./lib/data";
import { BENCH_SECRET, CONVERT_PATH } from "./lib/edge-env";
import { freshDatabase } from "./lib/fresh-database";
import { startNodeBench } from "./lib/node-bench";
import { round } from "./lib/stats";

export interface ThroughputResult {
  leads: number;
  throughput_rps: number;
  throughput_p50_ms: number;
  throughput_p99_ms: number;
  non_2xx: number;
  errors: number;
  raw_limit_rps: number;
  throughput_ratio_vs_raw: number;
  replay_rps: number;
  unauthorized_rps: number;
  idle_rss_mb: number;
  idle_anonymous_mb: number;
  peak_rss_mb: number;
  /** Anonymous memory (V8's heap and native allocations, no mapped code) when RSS peaked. */
  peak_anonymous_mb: number;
}

/**
 * The ceiling: the conversion batch run in a loop straight on the libSQL
 * client, in this process, with no HTTP and no framework.
 */
async function rawLimit(leads: number): Promise<number> {
  const { db, data, remove } = await freshDatabase("raw", (db) => seedBenchData(db, leads));
  const batch = prepareConversionBatch(db);
  const started = performance.now();
  for (const leadId of data.leadIds) {
    await db.$client.batch(batch.statementsFor(benchCommand(leadId, data.entityId)), "write");
  }
  const rps = data.leadIds.length / ((performance.now() - started) / 1000);
  db.$client.close();
  remove();
  return rps;
}

/**
 * The Node entry (production build, its own process) on an embedded database
 * of `leads` leads, converted by autocannon at concurrency 32; then replays and
 * 401s; beside it, the raw limit.
 */
export async function measureThroughput({
  leads,
  pathSeconds,
}: {
  leads: number;
  pathSeconds: number;
}): Promise<ThroughputResult> {
  const server = await startNodeBench({ name: "throughput", seed: (db) => seedBenchData(db, leads) });
  const { pid, data } = server;
  const idle = rssMb(pid);
  const idleAnonymous = anonymousMb(pid);
  let peak = idle;
  let peakAnonymous = anonymousMb(pid);
  const sampler = setInterval(() => {
    const rss = rssMb(pid);
    if (rss <= peak) return;
    peak = rss;
    peakAnonymous = anonymousMb(pid);
  }, 100);
  const token = await issueToken({ secret: BENCH_SECRET, financialEntityId: data.entityId, ttlSeconds: 3600 });
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };

  let next = 0;
  const conversions = await autocannon({
    url: `${server.url}${CONVERT_PATH}`,
    connections: 32,
    amount: data.leadIds.length,
    // A conversion that takes this long is an error; the default 10 s is reached on a loaded CI machine.
    timeout: 60,
    // autocannon notices that `amount` requests are done only at its next sample, every second by default: the run's
    // duration was rounded up to whole seconds (5,000 conversions in 4.7 s counted as 5 s), 2–5% off the rate.
    sampleInt: 10,
    requests: [
      {
        method: "POST",
        headers,
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ lead_id: data.leadIds[next++], financial_entity_id: data.entityId }),
        }),
      },
    ],
  });
  clearInterval(sampler);
  const replays = await autocannon({
    url: `${server.url}${CONVERT_PATH}`,
    connections: 32,
    duration: pathSeconds,
    method: "POST",
    headers,
    body: JSON.stringify({ lead_id: data.leadIds[0], financial_entity_id: data.entityId }),
  });
  const unauthorized = await autocannon({
    url: `${server.url}${CONVERT_PATH}`,
    connections: 32,
    duration: pathSeconds,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ lead_id: data.leadIds[0], financial_entity_id: data.entityId }),
  });
  await server.close();

  const raw = await rawLimit(leads);
  const throughput = conversions["2xx"] / conversions.duration;
  return {
    leads,
    throughput_rps: round(throughput),
    throughput_p50_ms: conversions.latency.p50,
    throughput_p99_ms: conversions.latency.p99,
    non_2xx: conversions.non2xx,
    errors: conversions.errors, // autocannon counts timeouts among errors
    raw_limit_rps: round(raw),
    throughput_ratio_vs_raw: round(throughput / raw, 3),
    replay_rps: round(replays["2xx"] / replays.duration),
    unauthorized_rps: round(unauthorized.non2xx / unauthorized.duration),
    idle_rss_mb: round(idle),
    idle_anonymous_mb: round(idleAnonymous),
    peak_rss_mb: round(peak),
    peak_anonymous_mb: round(peakAnonymous),
  };
}
