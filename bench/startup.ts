import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { percentile, round } from "./lib/stats";

const root = fileURLToPath(new URL("../", import.meta.url));
const wrangler = join(root, "node_modules/.bin/wrangler");

export interface StartupResult {
  startup_cpu_ms: number;
  startup_cpu_min_ms: number;
  /** An empty Hono Worker (one route), built by the bench, measured the same way in the same run. */
  startup_empty_hono_cpu_ms: number;
  /** The Worker's median start-up CPU over the empty Hono Worker's. */
  startup_ratio_vs_empty_hono: number;
  startup_runs: number;
  /** The heaviest inputs of the Worker's bundle, minified bytes each (esbuild metafile). */
  bundle_inputs: Record<string, number>;
  /** The heaviest of the project's own files in it. */
  bundle_src_inputs: Record<string, number>;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * CPU time in a `.cpuprofile` outside `(idle)`: each sample is charged the
 * time since the previous one — the figure `wrangler check startup` prints as
 * "Active".
 */
export function activeMs(profile: CpuProfile): number {
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((node) => node.id));
  return (
    profile.samples.reduce((sum, node, i) => (idle.has(node) ? sum : sum + (profile.timeDeltas[i] ?? 0)), 0) / 1000
  );
}

// The baseline a caller cannot do better than on Hono: one route, nothing else.
const EMPTY_HONO_WORKER = `import { Hono } from "hono";
const app = new Hono();
app.get("/", (c) => c.text("ok"));
export default app;
`;

/**
 * The Worker's start-up CPU time: `wrangler check startup` (offline: it runs
 * the bundle's top-level evaluation in a local workerd and profiles it), `runs`
 * times on one bundle built by `wrangler deploy --dry-run`; the median, and the
 * minimum (the run least disturbed by other processes). An empty Hono Worker,
 * bundled here the way wrangler bundles, is measured the same way with its runs
 * interleaved with ours, so both see the same disturbance.
 */
export async function measureStartup({ runs }: { runs: number }): Promise<StartupResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-startup-"));
  const run = (args: string[]) =>
    execFileSync(wrangler, args, {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
  try {
    const bundle = join(dir, "worker.bundle");
    run(["deploy", "--dry-run", "--outfile", bundle]);
    const emptyBundle = bundleEmptyHono(run);
    const profiled = (worker: string, name: string) => {
      const profile = join(dir, `${name}.cpuprofile`);
      run(["check", "startup", "--worker", worker, "--outfile", profile]);
      return activeMs(JSON.parse(readFileSync(profile, "utf8")) as CpuProfile);
    };
    const samples: number[] = [];
    const emptySamples: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      samples.push(profiled(bundle, `startup-${i}`));
      emptySamples.push(profiled(emptyBundle, `empty-${i}`));
    }
    const median = percentile(samples, 0.5);
    const emptyMedian = percentile(emptySamples, 0.5);
    return {
      startup_cpu_ms: round(median),
      startup_cpu_min_ms: round(Math.min(...samples)),
      startup_empty_hono_cpu_ms: round(emptyMedian),
      startup_ratio_vs_empty_hono: Math.round((median / emptyMedian) * 100) / 100,
      startup_runs: runs,
      ...(await heaviestInputs(8)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The empty Hono Worker in the form `wrangler check startup` takes: a bundle made by
 * `wrangler deploy --dry-run` from a config of its own, with our compatibility date and
 * flags. Its folder lies under dist/ so that `hono` resolves from our node_modules.
 */
function bundleEmptyHono(run: (args: string[]) => void): string {
  const dir = join(root, "dist/bench-empty-hono");
  mkdirSync(dir, { recursive: true });
  const ours = readFileSync(join(root, "wrangler.toml"), "utf8");
  const setting = (key: string) => new RegExp(`^${key}\\s*=.*$`, "m").exec(ours)?.[0] ?? "";
  writeFileSync(join(dir, "worker.ts"), EMPTY_HONO_WORKER);
  writeFileSync(
    join(dir, "wrangler.toml"),
    [
      'name = "empty-hono"',
      'main = "worker.ts"',
      setting("compatibility_date"),
      setting("compatibility_flags"),
      "",
    ].join("\n"),
  );
  const bundle = join(dir, "worker.bundle");
  run(["deploy", "--dry-run", "--config", join(dir, "wrangler.toml"), "--outfile", bundle]);
  return bundle;
}

/**
 * What the Worker's bundle is made of: src/worker.ts bundled the way wrangler
 * does (esm, minified, workerd's export conditions), its bytes grouped by npm
 * package (the project's own files as `src`), the `top` heaviest and the rest;
 * and the `top` heaviest of the project's own files.
 */
async function heaviestInputs(top: number): Promise<Pick<StartupResult, "bundle_inputs" | "bundle_src_inputs">> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["src/worker.ts"],
    bundle: true,
    write: false,
    metafile: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2024",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    outdir: join(root, "dist/bench-metafile"),
    logLevel: "silent",
  });
  const byPackage = new Map<string, number>();
  const ownFiles: [string, number][] = [];
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (path.startsWith("src/")) ownFiles.push([path, bytesInOutput]);
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const name = match ? match[1]! : path.startsWith("src/") ? "src" : "other";
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  const sorted = [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
  const rest = sorted.slice(top).reduce((sum, [, bytes]) => sum + bytes, 0);
  return {
    bundle_inputs: Object.fromEntries([...sorted.slice(0, top), ...(rest > 0 ? [["(the rest)", rest] as const] : [])]),
    bundle_src_inputs: Object.fromEntries(ownFiles.sort((a, b) => b[1] - a[1]).slice(0, top)),
  };
}
