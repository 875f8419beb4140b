// npm run bench [-- --quick] [--rtt 25]
// Measures, in one run: edge latency against a database one round trip away (ours on
// Node and on the Worker, the Worker's own overhead, the fair peer and the
// interactive-transaction peer), contention at the edge (32 callers), local throughput
// against the raw limit, replay and 401 paths, the Node server's memory, and the
// Worker's start-up CPU and bundle. Writes bench/RESULTS.md and results.json (--quick
// writes to dist/bench-quick/ and fails only on an error, a conversion or bulk call
// that is not one database request, or a lost event).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { buildNodeEntry } from "../scripts/lib/processes";
import { bulkLeadsNeeded, measureBulk } from "./bulk-calls";
import { contentionLeadsNeeded, measureContention } from "./contention";
import { edgeLeadsNeeded, measureEdge } from "./edge";
import { eventsLeadsNeeded, measureEvents } from "./events";
import { fairnessLeadsNeeded, measureFairness } from "./fairness";
import { measureForgedKeys } from "./forged-keys";
import { keysLeadsNeeded, measureKeys } from "./keys";
import { measureLeads } from "./leads";
import { openEdgeEnv } from "./lib/edge-env";
import { measureNoisyNeighbour } from "./noisy-neighbour";
import { type Results, renderReport } from "./report";
import { measureStartup } from "./startup";
import { measureThroughput } from "./throughput";

const { values } = parseArgs({
  options: { quick: { type: "boolean", default: false }, rtt: { type: "string", default: "25" } },
});
const quick = values.quick;
const rttMs = Number(values.rtt);
if (!(rttMs >= 0)) throw new Error("--rtt must be a number of milliseconds");
const sizes = quick
  ? {
      conversions: 10,
      naiveConversions: 5,
      fairConversions: 5,
      perCaller: 2,
      naivePerCaller: 1,
      leads: 1_000,
      pathSeconds: 1,
      startupRuns: 1,
      keyConversions: 5,
      floodSeconds: 3,
      latencyEvents: 10,
      burstEvents: 32,
      bulkLeads: 200,
      singleLeads: 20,
      leadCreates: 10,
      leadBulkLeads: 1_000,
      listPages: 5,
      largeLeads: 20_000,
      fairnessEvents: 5,
    }
  : {
      conversions: 200,
      naiveConversions: 40,
      fairConversions: 100,
      perCaller: 10,
      naivePerCaller: 2,
      leads: 20_000,
      pathSeconds: 5,
      startupRuns: 5,
      keyConversions: 100,
      floodSeconds: 5,
      latencyEvents: 500,
      burstEvents: 500,
      bulkLeads: 2_000,
      singleLeads: 200,
      leadCreates: 200,
      leadBulkLeads: 10_000,
      listPages: 50,
      largeLeads: 1_000_000,
      fairnessEvents: 20,
    };

const root = new URL("../", import.meta.url);
const version = (pkg: string) =>
  JSON.parse(readFileSync(new URL(`node_modules/${pkg}/package.json`, root), "utf8")).version as string;
const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;
const started = performance.now();
const step = (name: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${name}…`);

step("Worker bundle (npm run build)");
execFileSync("npm", ["run", "-s", "build"], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
const bundleGzipBytes = gzipSync(readFileSync(new URL("dist/worker.js", root)), { level: 9 }).byteLength;
// Once for the parts that start the Node entry (throughput, noisy neighbour, events): none of them builds it.
step("Node entry (npm run build:node)");
buildNodeEntry();

const edgeSizes = {
  rttMs,
  conversions: sizes.conversions,
  naiveConversions: sizes.naiveConversions,
  fairConversions: sizes.fairConversions,
};
const contentionSizes = { perCaller: sizes.perCaller, naivePerCaller: sizes.naivePerCaller };
const keysSizes = { conversions: sizes.keyConversions, floodSeconds: sizes.floodSeconds };
const eventsSizes = { latencyEvents: sizes.latencyEvents, burstEvents: sizes.burstEvents };
const bulkSizes = { bulkLeads: sizes.bulkLeads, singleLeads: sizes.singleLeads };
const fairnessSizes = { events: sizes.fairnessEvents };
const env = await openEdgeEnv({
  leads:
    edgeLeadsNeeded(edgeSizes) +
    contentionLeadsNeeded(contentionSizes) +
    keysLeadsNeeded(keysSizes) +
    eventsLeadsNeeded(eventsSizes) +
    1 +
    bulkLeadsNeeded(bulkSizes) +
    fairnessLeadsNeeded(fairnessSizes),
});
let edge, contention, keys, events, bulk, leadLifecycle, forged, fairness;
try {
  step(
    `edge latency, ${rttMs} ms round trip (${sizes.conversions} conversions, fair peer ${sizes.fairConversions}, interactive peer ${sizes.naiveConversions})`,
  );
  edge = await measureEdge(env, edgeSizes);
  step(
    `contention, 32 callers at ${rttMs} ms (${sizes.perCaller} conversions each, interactive peer ${sizes.naivePerCaller})`,
  );
  contention = await measureContention(env, contentionSizes);
  step(
    `integration keys: ${sizes.keyConversions} conversions with a key and with a JWT, then one key flooded for ${sizes.floodSeconds} s`,
  );
  keys = await measureKeys(env, keysSizes);
  step(
    `bulk: ${sizes.bulkLeads} leads in 100-lead calls, ${sizes.singleLeads} in single calls, one caller at ${rttMs} ms`,
  );
  bulk = await measureBulk(env, bulkSizes);
  step(
    `events: ${sizes.latencyEvents} one at a time and a burst of ${sizes.burstEvents}, on the Worker (Queues) and the Node entry (dispatcher)`,
  );
  events = await measureEvents(env, eventsSizes);
  step(
    `lead lifecycle: ${sizes.leadCreates} single creates and ${sizes.leadBulkLeads} leads in 500-lead calls at ${rttMs} ms; pages of 100 with 1,000 and ${sizes.largeLeads} leads`,
  );
  step("forged integration keys: 60 never-issued keys from one client address, on the Worker");
  forged = await measureForgedKeys(env, { count: 60 });
  leadLifecycle = await measureLeads(env, {
    creates: sizes.leadCreates,
    bulkLeads: sizes.leadBulkLeads,
    pages: sizes.listPages,
    largeLeads: sizes.largeLeads,
  });
  // Last on the edge Worker: its hanging sends and cancelled deliveries must not touch another part's counts.
  step(
    `webhook fairness: another entity's ${sizes.fairnessEvents} events beside one entity's 200 deliveries that hang, on the Worker and the Node entry`,
  );
  fairness = await measureFairness(env, fairnessSizes);
} finally {
  await env.close();
}

step(`local throughput (${sizes.leads} leads, concurrency 32) and the raw limit`);
const throughput = await measureThroughput({ leads: sizes.leads, pathSeconds: sizes.pathSeconds });

step("noisy neighbour: one integration key at 10× its budget beside another entity's conversions");
const noisy = await measureNoisyNeighbour({ quietConversions: quick ? 20 : 100 });

step(
  `Worker start-up (wrangler check startup, ${sizes.startupRuns} run${sizes.startupRuns === 1 ? "" : "s"}) and the bundle's inputs`,
);
const startup = await measureStartup({ runs: sizes.startupRuns });

const results: Results = {
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    node: process.version,
    load_average_1m: loadAtStart,
  },
  versions: {
    hono: version("hono"),
    "drizzle-orm": version("drizzle-orm"),
    "@libsql/client": version("@libsql/client"),
    libsql: version("libsql"),
    wrangler: version("wrangler"),
    zod: version("zod"),
  },
  ...edge,
  ...contention,
  ...throughput,
  ...noisy,
  ...keys,
  ...events,
  ...bulk,
  ...leadLifecycle,
  ...forged,
  ...fairness,
  // The names for the noisy neighbour's figures (measured on the Node entry, bench/noisy-neighbour.ts).
  neighbour_quiet_p99_ms: noisy.noisy_quiet_p99_ms,
  neighbour_flood_p99_ms: noisy.noisy_flood_p99_ms,
  ...startup,
  bundle_gzip_bytes: bundleGzipBytes,
  duration_s: Math.round((performance.now() - started) / 100) / 10,
};

const out = quick ? new URL("dist/bench-quick/", root) : new URL("bench/", root);
mkdirSync(out, { recursive: true });
writeFileSync(new URL("results.json", out), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL("RESULTS.md", out), renderReport(results));
console.log(renderReport(results));
console.log(`Wrote ${new URL("RESULTS.md", out).pathname} and results.json in ${results.duration_s} s.`);

// What fails the run (CI runs --quick): broken promises, never slow figures.
const failures = [
  results.db_requests_per_conversion !== 1 &&
    `a conversion made ${results.db_requests_per_conversion} database requests; it must make exactly 1`,
  results.bulk_db_requests_per_call !== 1 &&
    `a bulk call made ${results.bulk_db_requests_per_call} database requests; it must make exactly 1`,
  results.key_db_requests_per_conversion !== 1 &&
    `a conversion with an integration key made ${results.key_db_requests_per_conversion} database requests on average; it must make exactly 1`,
  results.forged_key_db_requests_per_minute > 30 &&
    `60 forged keys from one address cost ${results.forged_key_db_requests_per_minute} database requests; at most 30 may`,
  results.lead_bulk_db_requests_per_call !== 1 &&
    `a bulk lead create made ${results.lead_bulk_db_requests_per_call} database requests; it must make exactly 1`,
  results.noisy_quiet_non_200 !== 0 &&
    `${results.noisy_quiet_non_200} of another entity's conversions did not answer 200 beside a key's flood`,
  results.events_lost !== 0 && `${results.events_lost} events were not received within a minute`,
  results.non_2xx > 0 && `${results.non_2xx} conversions of the throughput run did not answer 2xx`,
  results.errors > 0 && `${results.errors} requests of the throughput run failed (connection errors or 60 s timeouts)`,
].filter(Boolean);
if (failures.length > 0) {
  for (const failure of failures) console.error(`FAILED: ${failure}.`);
  process.exit(1);
}
