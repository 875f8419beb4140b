// One sequential caller, 100-lead bulk calls against single calls, through the
// app over HTTP to the local libSQL server with a simulated round trip; and the
// database's own time for one 100-lead batch (embedded, no network).
//   npx tsx bench/bulk.ts [--rtt 25] [--leads 1000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { sign } from "hono/jwt";
import { startLibsqlServer } from "../scripts/libsql-server/server";
import { createApp, inProcessRateLimits } from "../src/app";
import { openRemoteDatabase } from "../src/db/client";
import { openNodeDatabase } from "../src/db/client-node";
import { createBulkConversionStore } from "../src/db/bulk-conversion-store";
import { migrateDatabase } from "../src/db/migrate";
import { benchCommand } from "./lib/command";
import { seedBenchData } from "./lib/data";
import { round } from "./lib/stats";

const { values } = parseArgs({ options: { rtt: { type: "string", default: "25" }, leads: { type: "string", default: "1000" } } });
const rttMs = Number(values.rtt);
const leadCount = Number(values.leads);
const SECRET = "bench-secret-that-is-at-least-32-bytes-long";

async function freshDatabase(leads: number) {
  const dir = mkdtempSync(join(tmpdir(), "bulk-bench-"));
  const db = openNodeDatabase({ url: `file:${join(dir, "bench.db")}` });
  await migrateDatabase(db, { warn: () => {} });
  const data = await seedBenchData(db, leads);
  return { dir, db, data };
}

/** Conversions per second of one caller sending `perCall` leads a call, over HTTP to the server at `rttMs`. */
async function sequentialCaller(perCall: number): Promise<{ conversionsPerSecond: number; msPerCall: number }> {
  const { dir, db, data } = await freshDatabase(leadCount);
  const server = await startLibsqlServer({ dbPath: join(dir, "bench.db"), latencyMs: rttMs });
  const app = createApp({
    db: openRemoteDatabase({ url: server.url, timeoutMs: 30_000 }),
    auth: { secret: SECRET },
    // One token converts every lead here, past the spec's budgets: this script sets its own.
    rateLimits: inProcessRateLimits({ conversions: 1_000_000, requests: 1_000_000 }),
    logger: { info: () => {}, error: () => {} } as never,
  });
  const now = Math.floor(Date.now() / 1000);
  const token = await sign({ sub: data.entityId, scope: "leads:convert", iat: now, exp: now + 3600 }, SECRET, "HS256");
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  const started = performance.now();
  let calls = 0;
  for (let i = 0; i < data.leadIds.length; i += perCall) {
    const ids = data.leadIds.slice(i, i + perCall);
    const [path, body] =
      perCall === 1
        ? ["/turn-lead-into-client", { lead_id: ids[0], financial_entity_id: data.entityId }]
        : ["/turn-leads-into-clients", { lead_ids: ids, financial_entity_id: data.entityId }];
    const res = await app.request(path, { method: "POST", headers, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    await res.arrayBuffer();
    calls += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  await server.close();
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
  return { conversionsPerSecond: round(data.leadIds.length / seconds), msPerCall: round((seconds * 1000) / calls, 2) };
}

/** The database's time for one bulk batch of `size` new leads, embedded (no network), median of `rounds`. */
async function batchTime(size: number, rounds = 10): Promise<number> {
  const { dir, db, data } = await freshDatabase(size * rounds);
  const store = createBulkConversionStore(db, { timeoutMs: 30_000 });
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const commands = data.leadIds.slice(r * size, (r + 1) * size).map((leadId) => benchCommand(leadId, data.entityId));
    const started = performance.now();
    await store.convertMany(commands);
    samples.push(performance.now() - started);
  }
  db.$client.close();
  rmSync(dir, { recursive: true, force: true });
  samples.sort((a, b) => a - b);
  return round(samples[Math.floor(samples.length / 2)]!, 2);
}

const single = await sequentialCaller(1);
const bulk = await sequentialCaller(100);
const db100 = await batchTime(100);
const db1 = await batchTime(1);
console.log(JSON.stringify({ rttMs, leads: leadCount, single, bulk100: bulk, speedup: round(bulk.conversionsPerSecond / single.conversionsPerSecond), dbMsPerBatch: { "1": db1, "100": db100 } }, null, 2));
