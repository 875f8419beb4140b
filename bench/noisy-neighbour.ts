import { rmSync } from "node:fs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { sign } from "hono/jwt";
import { buildNodeEntry, freePort, spawnNodeEntry } from "../scripts/lib/processes";
import { issueToken } from "../scripts/lib/token";
import { openNodeDatabase } from "../src/db/client-node";
import { migrateDatabase } from "../src/db/migrate";
import { apiKeys } from "../src/db/schema";
import { generateIntegrationKey } from "../src/http/auth/integration-keys";
import { seedBenchData } from "./lib/data";
import { percentile, round } from "./lib/stats";

const SECRET = "bench-secret-bench-secret-bench-secret-01";
const PATH = "/turn-lead-into-client";

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
 * One integration key floods the Node entry at 10× its conversions budget
 * (autocannon, 8 connections, as fast as it answers) while another entity converts its leads one
 * after another with a token; beside it, the same entity's conversions alone.
 * The spec: the other entity's conversions stay all 200, p99 within 2× of quiet.
 */
export async function measureNoisyNeighbour({ quietConversions }: { quietConversions: number }): Promise<NoisyNeighbourResult> {
  buildNodeEntry();
  // The quiet entity's conversions, alone and under the flood, all fit its own budget.
  const budget = Math.max(100, 2 * quietConversions + 10);
  const dir = mkdtempSync(join(tmpdir(), "bench-noisy-"));
  const url = `file:${join(dir, "noisy.db")}`;
  const db = openNodeDatabase({ url });
  await migrateDatabase(db);
  const noisy = await seedBenchData(db, 10 * budget);
  const quiet = await seedBenchData(db, 2 * quietConversions);
  const key = await generateIntegrationKey();
  await db.insert(apiKeys).values({
    id: crypto.randomUUID(), financialEntityId: noisy.entityId, name: "flood", scopes: ["leads:convert"],
    keyHash: key.hash, prefix: key.prefix, createdBy: "bench", createdAt: new Date().toISOString(),
  });
  db.$client.close();

  const server = await spawnNodeEntry(
    { TURSO_DATABASE_URL: url, JWT_SECRET: SECRET, RATE_LIMIT_CONVERSIONS_PER_MINUTE: String(budget), RATE_LIMIT_REQUESTS_PER_MINUTE: "1000000" },
    await freePort(),
    { built: true },
  );
  const token = await issueToken({ secret: SECRET, financialEntityId: quiet.entityId, ttlSeconds: 3600 });
  const convertQuietly = async (leadIds: string[], bearer = token) => {
    const latencies: number[] = [];
    let non200 = 0;
    for (const leadId of leadIds) {
      const started = performance.now();
      const res = await fetch(`${server.url}${PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
        body: JSON.stringify({ lead_id: leadId, financial_entity_id: quiet.entityId }),
      });
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      if (res.status !== 200) non200 += 1;
    }
    return { latencies, non200 };
  };

  try {
    // Warm the process (JIT, connections) with another credential's replays, so that the quiet baseline is not a cold start.
    const now = Math.floor(Date.now() / 1000);
    const warmUp = await sign(
      { sub: "warm-up", financial_entity_id: quiet.entityId, scope: "leads:convert", iat: now, exp: now + 3600 },
      SECRET,
      "HS256",
    );
    for (let round = 0; round < 2; round++) await convertQuietly(Array(Math.floor(budget / 2) - 1).fill(quiet.leadIds.at(-1)), warmUp);
    const alone = await convertQuietly(quiet.leadIds.slice(0, quietConversions));
    let next = 0;
    const flood = new Promise<autocannon.Result>((resolve, reject) =>
      autocannon(
        {
          url: `${server.url}${PATH}`,
          connections: 8,
          amount: noisy.leadIds.length,
          requests: [{
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${key.key}` },
            setupRequest: (request) => ({ ...request, body: JSON.stringify({ lead_id: noisy.leadIds[next++ % noisy.leadIds.length], financial_entity_id: noisy.entityId }) }),
          }],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      ),
    );
    // Let the flood get going before the quiet entity's second round.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const underFlood = await convertQuietly(quiet.leadIds.slice(quietConversions));
    const flooded = await flood;
    return {
      noisy_budget_per_minute: budget,
      noisy_flood_requests: noisy.leadIds.length,
      noisy_flooder_200: flooded["2xx"],
      noisy_flooder_429: flooded.statusCodeStats?.["429"]?.count ?? 0,
      noisy_quiet_conversions: quietConversions,
      noisy_quiet_non_200: alone.non200 + underFlood.non200,
      noisy_quiet_p99_ms: round(percentile(alone.latencies, 0.99)),
      noisy_flood_p99_ms: round(percentile(underFlood.latencies, 0.99)),
    };
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
