// npm run soak [-- --duration 60 --rate 200 --rss-budget 150]
// Drives the Node entry (production build, its own process) on an embedded database, at a steady
// rate with a mix of conversions, replays and rejections. Fails on any unexpected
// status or broken invariant, and when the server's RSS goes over the budget (MB) or keeps
// growing after warm-up (see judgeMemory); reports latency and RSS (start, peak, end).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openNodeDatabase } from "../src/db/client-node";
import { findInvariantViolations } from "../src/db/invariants";
import { migrateDatabase } from "../src/db/migrate";
import { loadSeed } from "../src/db/seed";
import { buildNodeEntry, freePort, judgeMemory, rssMb, spawnNodeEntry } from "./lib/processes";
import { issueToken } from "./lib/token";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    rate: { type: "string", default: "200" },
    // The product's memory target for the Node entry.
    "rss-budget": { type: "string", default: "150" },
  },
});
const durationS = Number(values.duration);
const rate = Number(values.rate);
const rssBudgetMb = Number(values["rss-budget"]);
if (!(durationS > 0) || !(rate > 0) || !(rssBudgetMb > 0))
  throw new Error("--duration, --rate and --rss-budget must be positive numbers");

const SECRET = "soak-secret-soak-secret-soak-secret-0123";
const dir = mkdtempSync(join(tmpdir(), "soak-"));
const url = `file:${join(dir, "soak.db")}`;

// Data: one ecosystem, an entity that converts, a rival that is refused, and enough leads.
const ecosystem = crypto.randomUUID();
const [entity, rival] = [crypto.randomUUID(), crypto.randomUUID()];
const leadCount = Math.ceil(durationS * rate * 0.6) + 1_000;
const leadIds = Array.from({ length: leadCount }, () => crypto.randomUUID());
const db = openNodeDatabase({ url });
await migrateDatabase(db);
await loadSeed(db, {
  ecosystems: [{ id: ecosystem, name: "Soak" }],
  financial_entities: [
    { id: entity, ecosystem_id: ecosystem, name: "Converter" },
    { id: rival, ecosystem_id: ecosystem, name: "Rival" },
  ],
  leads: leadIds.map((id, i) => ({ id, ecosystem_id: ecosystem, name: `Lead ${i}`, nit: `NIT-${i}`, quota: i })),
});

buildNodeEntry();
// The soak's few tokens send far past the spec's budgets on purpose: it sets its own.
const server = await spawnNodeEntry(
  {
    TURSO_DATABASE_URL: url,
    JWT_SECRET: SECRET,
    RATE_LIMIT_CONVERSIONS_PER_MINUTE: "1000000",
    RATE_LIMIT_REQUESTS_PER_MINUTE: "1000000",
  },
  await freePort(),
  { built: true },
);
const pid = server.child.pid!;
const [token, rivalToken] = await Promise.all([
  issueToken({ secret: SECRET, financialEntityId: entity }),
  issueToken({ secret: SECRET, financialEntityId: rival }),
]);

type Kind = "convert" | "replay" | "rival" | "no_token" | "bad_body" | "unknown_lead" | "wrong_entity";
const EXPECTED: Record<Kind, number> = {
  convert: 200,
  replay: 200,
  rival: 409,
  no_token: 401,
  bad_body: 400,
  unknown_lead: 404,
  wrong_entity: 403,
};
// Out of 20 requests: 11 conversions, 4 replays, and one of each rejection.
const MIX: Kind[] = [
  ...Array(11).fill("convert"),
  ...Array(4).fill("replay"),
  "rival",
  "no_token",
  "bad_body",
  "unknown_lead",
  "wrong_entity",
];

const converted: string[] = [];
let nextLead = 0;
function requestFor(kind: Kind): RequestInit {
  const json = (auth: string | null, body: unknown): RequestInit => ({
    method: "POST",
    headers: { "Content-Type": "application/json", ...(auth ? { Authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify(body),
  });
  const earlier = () => converted[Math.floor(Math.random() * converted.length)] ?? leadIds[0]!;
  switch (kind) {
    case "convert":
      return json(token, { lead_id: leadIds[nextLead++], financial_entity_id: entity });
    case "replay":
      return json(token, { lead_id: earlier(), financial_entity_id: entity });
    case "rival":
      return json(rivalToken, { lead_id: earlier(), financial_entity_id: rival });
    case "no_token":
      return json(null, { lead_id: earlier(), financial_entity_id: entity });
    case "bad_body":
      return json(token, { lead_id: "not-a-uuid", financial_entity_id: entity });
    case "unknown_lead":
      return json(token, { lead_id: crypto.randomUUID(), financial_entity_id: entity });
    case "wrong_entity":
      return json(token, { lead_id: earlier(), financial_entity_id: rival });
  }
}

const latencies: number[] = [];
const counts: Record<string, number> = {};
const unexpected: string[] = [];
const rss = { start: rssMb(pid), peak: rssMb(pid), end: 0, samples: [] as number[] };
const sampler = setInterval(() => {
  const now = rssMb(pid);
  rss.samples.push(Math.round(now * 10) / 10);
  rss.peak = Math.max(rss.peak, now);
}, 1_000);

console.log(`Soak: ${durationS} s at ${rate} requests/s against the Node entry (pid ${pid}), ${leadCount} leads…`);
const inFlight = new Set<Promise<void>>();
const started = performance.now();
for (let sent = 0; performance.now() - started < durationS * 1000; sent += 1) {
  const due = started + (sent * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const kind = MIX[sent % MIX.length]!;
  // A replay needs something converted first; early on, convert instead.
  const effective: Kind =
    (kind === "replay" || kind === "rival" || kind === "wrong_entity") && converted.length === 0 ? "convert" : kind;
  const leadForConvert = effective === "convert" ? leadIds[nextLead] : undefined;
  const t0 = performance.now();
  const task = fetch(`${server.url}/turn-lead-into-client`, requestFor(effective))
    .then(async (res) => {
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      counts[`${effective} ${res.status}`] = (counts[`${effective} ${res.status}`] ?? 0) + 1;
      const replayed = res.headers.get("idempotent-replayed") === "true";
      if (
        res.status !== EXPECTED[effective] ||
        (effective === "convert" && replayed) ||
        (effective === "replay" && !replayed)
      ) {
        unexpected.push(`${effective} → ${res.status}${replayed ? " (replayed)" : ""}`);
      } else if (effective === "convert" && leadForConvert) converted.push(leadForConvert);
    })
    .catch(
      (error: unknown) =>
        void unexpected.push(`${effective} → ${error instanceof Error ? error.message : String(error)}`),
    );
  inFlight.add(task);
  void task.finally(() => inFlight.delete(task));
}
await Promise.all(inFlight);
const elapsedS = (performance.now() - started) / 1000;
clearInterval(sampler);
rss.end = rssMb(pid);

const violations = await findInvariantViolations(db);
const clientCount = Number((await db.$client.execute("select count(*) as n from clients")).rows[0]!.n);
server.child.kill("SIGTERM");
await server.exited;
db.$client.close();
rmSync(dir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]! * 100) / 100;
const round = (n: number) => Math.round(n * 10) / 10;
const memory = judgeMemory(rss.samples.length > 0 ? rss.samples : [rss.peak], { budgetMb: rssBudgetMb });
const result = {
  date: new Date().toISOString(),
  duration_s: round(elapsedS),
  target_rate_rps: rate,
  requests: latencies.length,
  achieved_rps: round(latencies.length / elapsedS),
  by_kind_and_status: counts,
  unexpected_statuses: unexpected.length,
  unexpected_examples: unexpected.slice(0, 10),
  p50_ms: pct(0.5),
  p99_ms: pct(0.99),
  clients_created: clientCount,
  conversions_confirmed: converted.length,
  rss_mb: {
    start: round(rss.start),
    peak: round(rss.peak),
    end: round(rss.end),
    budget: rssBudgetMb,
    per_second: rss.samples,
  },
  memory_verdict: memory.reason,
  invariant_violations: violations,
};
writeFileSync(new URL("../bench/soak.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ ...result, rss_mb: { ...result.rss_mb, per_second: undefined } }, null, 2));

const sound = unexpected.length === 0 && violations.length === 0 && clientCount === converted.length;
console.log(`Memory: ${memory.ok ? "ok" : "FAILED"} — ${memory.reason}.`);
console.log(sound && memory.ok ? "Soak passed." : "Soak FAILED.");
process.exit(sound && memory.ok ? 0 : 1);
