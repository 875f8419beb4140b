import autocannon from "autocannon";
import { sign } from "hono/jwt";
import { apiKeys } from "../src/db/schema";
import { generateIntegrationKey } from "../src/http/auth/integration-keys";
import { seedBenchData } from "./lib/data";
import { BENCH_SECRET, CONVERT_PATH } from "./lib/edge-env";
import { startNodeBench } from "./lib/node-bench";
import { percentile, round } from "./lib/stats";

/** Each credential's conversions a minute in this run; the flood sends ten times that rate. */
const BUDGET = 60;
const QUIET_PER_SECOND = 10;

export interface NoisyNeighbourResult {
  noisy_budget_per_minute: number;
  noisy_flood_requests: number;
  noisy_flooder_200: number;
  noisy_flooder_429: number;
  noisy_quiet_conversions: number;
  noisy_quiet_non_200: number;
  noisy_quiet_p99_ms: number;
  noisy_flood_p99_ms: number;
}

/**
 * One integration key floods the Node entry at 10× its conversions budget (60
 * a minute, so 10 a second) while another entity converts its leads at a
 * steady 10 a second, round-robin over a few integrations of its own (each
 * within its budget); beside it, the same entity's conversions alone. The
 * spec: the other entity's conversions stay all 200, p99 within 2× of quiet.
 */
export async function measureNoisyNeighbour({
  quietConversions,
}: {
  quietConversions: number;
}): Promise<NoisyNeighbourResult> {
  const floodSeconds = quietConversions / QUIET_PER_SECOND + 1;
  const floodRate = (10 * BUDGET) / 60;
  const key = await generateIntegrationKey();
  const server = await startNodeBench({
    name: "noisy",
    seed: async (db) => {
      const noisy = await seedBenchData(db, Math.ceil(floodSeconds * floodRate));
      const quiet = await seedBenchData(db, 2 * quietConversions + 1);
      await db.insert(apiKeys).values({
        id: crypto.randomUUID(),
        financialEntityId: noisy.entityId,
        name: "flood",
        scopes: ["leads:convert"],
        keyHash: key.hash,
        prefix: key.prefix,
        createdBy: "bench",
        createdAt: new Date().toISOString(),
      });
      return { noisy, quiet };
    },
    // The quiet entity spreads its 10 a second over many credentials, each within its own budget; the
    // entity's budget (3× one credential's by default) would stop exactly that, so here it is out of
    // the way: what is measured is one entity's flood beside another's conversions.
    env: { RATE_LIMIT_CONVERSIONS_PER_MINUTE: String(BUDGET), RATE_LIMIT_ENTITY_CONVERSIONS_PER_MINUTE: "1000000" },
  });
  const { noisy, quiet } = server.data;
  const issued = Math.floor(Date.now() / 1000);
  const tokenFor = (sub: string) =>
    sign(
      { sub, financial_entity_id: quiet.entityId, scope: "leads:convert", iat: issued, exp: issued + 3600 },
      BENCH_SECRET,
      "HS256",
    );
  // Enough integrations of the quiet entity that none of them passes its own budget.
  const quietTokens = await Promise.all(
    Array.from({ length: Math.ceil((2 * quietConversions) / (BUDGET / 2)) }, (_, i) => tokenFor(`quiet-${i}`)),
  );
  let turn = 0;
  const convert = async (leadIds: string[], { paced, bearer }: { paced: boolean; bearer?: string }) => {
    const latencies: number[] = [];
    let non200 = 0;
    const start = performance.now();
    for (const [i, leadId] of leadIds.entries()) {
      if (paced)
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, start + (i * 1000) / QUIET_PER_SECOND - performance.now())),
        );
      const started = performance.now();
      const res = await fetch(`${server.url}${CONVERT_PATH}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${bearer ?? quietTokens[turn++ % quietTokens.length]}`,
        },
        body: JSON.stringify({ lead_id: leadId, financial_entity_id: quiet.entityId }),
      });
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      if (res.status !== 200) non200 += 1;
    }
    return { latencies, non200 };
  };

  try {
    // Warm the process (JIT, connections) with replays by other credentials, so that the baseline is no cold start.
    for (let i = 0; i < 4; i++)
      await convert(Array(BUDGET - 5).fill(quiet.leadIds.at(-1)), {
        paced: false,
        bearer: await tokenFor(`warm-up-${i}`),
      });
    const alone = await convert(quiet.leadIds.slice(0, quietConversions), { paced: true });
    let next = 0;
    const flood = autocannon({
      url: `${server.url}${CONVERT_PATH}`,
      connections: 4,
      overallRate: floodRate,
      amount: noisy.leadIds.length,
      requests: [
        {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${key.key}` },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({
              lead_id: noisy.leadIds[next++ % noisy.leadIds.length],
              financial_entity_id: noisy.entityId,
            }),
          }),
        },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const underFlood = await convert(quiet.leadIds.slice(quietConversions, 2 * quietConversions), { paced: true });
    const flooded = await flood;
    return {
      noisy_budget_per_minute: BUDGET,
      noisy_flood_requests: noisy.leadIds.length,
      noisy_flooder_200: flooded["2xx"],
      noisy_flooder_429: flooded.statusCodeStats?.["429"]?.count ?? 0,
      noisy_quiet_conversions: quietConversions,
      noisy_quiet_non_200: alone.non200 + underFlood.non200,
      noisy_quiet_p99_ms: round(percentile(alone.latencies, 0.99)),
      noisy_flood_p99_ms: round(percentile(underFlood.latencies, 0.99)),
    };
  } finally {
    await server.close();
  }
}
