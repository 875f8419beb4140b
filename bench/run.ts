// npm run bench [-- --quick] [--rtt 25]
// Measures, in one run: edge latency against a database one round trip away (ours and
// the naive peer), local throughput against the raw limit, replay and 401 paths, the
// Worker bundle, and the Node server's memory. Writes bench/RESULTS.md and results.json
// (--quick writes to dist/bench-quick/ and fails only on an error or a conversion that
// is not one database request).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { measureEdge } from "./edge";
import { measureNoisyNeighbour } from "./noisy-neighbour";
import { renderReport, type Results } from "./report";
import { measureThroughput } from "./throughput";

const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, rtt: { type: "string", default: "25" } } });
const quick = values.quick;
const rttMs = Number(values.rtt);
if (!(rttMs >= 0)) throw new Error("--rtt must be a number of milliseconds");
const sizes = quick
  ? { conversions: 10, naiveConversions: 5, leads: 1_000, pathSeconds: 1 }
  : { conversions: 200, naiveConversions: 40, leads: 20_000, pathSeconds: 5 };

const root = new URL("../", import.meta.url);
const version = (pkg: string) => JSON.parse(readFileSync(new URL(`node_modules/${pkg}/package.json`, root), "utf8")).version as string;
const started = performance.now();
const step = (name: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${name}…`);

step("Worker bundle (npm run build)");
execFileSync("npm", ["run", "-s", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
const bundleGzipBytes = gzipSync(readFileSync(new URL("dist/worker.js", root)), { level: 9 }).byteLength;

step(`edge latency, ${rttMs} ms round trip (${sizes.conversions} conversions, naive peer ${sizes.naiveConversions})`);
const edge = await measureEdge({ rttMs, conversions: sizes.conversions, naiveConversions: sizes.naiveConversions });

step(`local throughput (${sizes.leads} leads, concurrency 32) and the raw limit`);
const throughput = await measureThroughput({ leads: sizes.leads, pathSeconds: sizes.pathSeconds });

step("noisy neighbour: one integration key at 10× its budget beside another entity's conversions");
const noisy = await measureNoisyNeighbour({ quietConversions: quick ? 20 : 100 });

const results: Results = {
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version },
  versions: {
    hono: version("hono"),
    "drizzle-orm": version("drizzle-orm"),
    "@libsql/client": version("@libsql/client"),
    libsql: version("libsql"),
    wrangler: version("wrangler"),
    zod: version("zod"),
  },
  ...edge,
  ...throughput,
  ...noisy,
  bundle_gzip_bytes: bundleGzipBytes,
  duration_s: Math.round((performance.now() - started) / 100) / 10,
};

const out = quick ? new URL("dist/bench-quick/", root) : new URL("bench/", root);
mkdirSync(out, { recursive: true });
writeFileSync(new URL("results.json", out), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL("RESULTS.md", out), renderReport(results));
console.log(renderReport(results));
console.log(`Wrote ${new URL("RESULTS.md", out).pathname} and results.json in ${results.duration_s} s.`);

if (results.db_requests_per_conversion !== 1) {
  console.error(`FAILED: a conversion made ${results.db_requests_per_conversion} database requests; it must make exactly 1.`);
  process.exit(1);
}
