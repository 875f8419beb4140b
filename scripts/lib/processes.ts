import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const NODE_SOURCE = fileURLToPath(new URL("../../src/node.ts", import.meta.url));
/** The Node entry compiled for production (`npm run build:node`): plain node, no TypeScript loader. */
export const NODE_BUILD = fileURLToPath(new URL("../../dist/node.mjs", import.meta.url));

/**
 * The V8 flags the Node entry runs with (`npm run serve`, `npm run start:node`
 * and every test or benchmark that starts it). With its default young
 * generation, V8 lets short-lived request garbage grow to ~200 MB before
 * collecting it under load; 2 MB semi-spaces collect it sooner at no measured
 * cost in throughput (bench/RESULTS.md, "Memory").
 */
export const NODE_ENTRY_FLAGS = ["--max-semi-space-size=2"];

/** Compiles src/node.ts to dist/node.mjs with the project's own `npm run build:node`. */
export function buildNodeEntry(): string {
  execFileSync("npm", ["run", "-s", "build:node"], {
    cwd: fileURLToPath(new URL("../../", import.meta.url)),
    stdio: ["ignore", "ignore", "inherit"],
  });
  return NODE_BUILD;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  /** The last 64 KiB the process wrote, for error messages. */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * The Node entry as its own process, ready once /healthz answers: from source
 * through tsx, or the production build when `built` is set.
 */
export async function spawnNodeEntry(
  env: Record<string, string>,
  port: number,
  { built = false } = {},
): Promise<NodeProcess> {
  const args = [...NODE_ENTRY_FLAGS, ...(built ? [NODE_BUILD] : ["--import", "tsx", NODE_SOURCE])];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => (output = (output + chunk).slice(-65_536));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`the Node entry exited early:\n${output}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child, output: () => output, exited };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`the Node entry did not become healthy:\n${output}`);
}

/** Resident memory of a process in MiB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** A process's anonymous memory in MiB (V8's heap and native allocations, no mapped code), from /proc (Linux). */
export function anonymousMb(pid: number): number {
  const match = /Anonymous:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: nobody is left in the group
  }
}

/**
 * Stops a child started with `detached: true` together with everything it
 * started (its process group): SIGTERM to the group, up to `graceMs` for the
 * group to empty, then SIGKILL to whatever is left.
 *
 * @example
 * const child = spawn("wrangler", ["dev"], { detached: true });
 * await stopProcessGroup(child);
 */
export async function stopProcessGroup(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(pid, "SIGTERM");
  for (const giveUpAt = Date.now() + graceMs; Date.now() < giveUpAt; await sleep(50)) {
    if (!signalGroup(pid, 0)) return;
  }
  signalGroup(pid, "SIGKILL");
}

export interface MemoryVerdict {
  ok: boolean;
  /** One line saying why, for the soak's output. */
  reason: string;
}

/**
 * Judges a soak's RSS samples (MiB, one a second): too much if the peak is
 * over `budgetMb`; leaking if, after the first third (warm-up: code, caches,
 * V8's young generation growing to its size), the last third's peak exceeds
 * the middle third's by more than the tolerance — the larger of `minGrowthMb`
 * and `growthRatio` of the middle peak, which a process at steady state stays
 * within (a major GC's timing moves RSS by a few MiB), and which a leak of
 * about 2 KiB per request crosses in a 60 s soak at 200 requests/s.
 *
 * @example
 * judgeMemory([60, 70, 72, 71, 72, 73], { budgetMb: 150 }); // { ok: true, … }
 */
export function judgeMemory(
  samples: readonly number[],
  { budgetMb, minGrowthMb = 8, growthRatio = 0.1 }: { budgetMb: number; minGrowthMb?: number; growthRatio?: number },
): MemoryVerdict {
  const peak = Math.max(...samples);
  if (peak > budgetMb)
    return { ok: false, reason: `peak RSS ${peak.toFixed(1)} MB is over the budget of ${budgetMb} MB` };
  const third = Math.floor(samples.length / 3);
  if (third < 2)
    return {
      ok: true,
      reason: `peak RSS ${peak.toFixed(1)} MB within ${budgetMb} MB; too few samples (${samples.length}) to judge growth`,
    };
  const middle = Math.max(...samples.slice(third, 2 * third));
  const last = Math.max(...samples.slice(2 * third));
  const tolerance = Math.max(minGrowthMb, middle * growthRatio);
  const growth = last - middle;
  return growth > tolerance
    ? {
        ok: false,
        reason: `RSS keeps growing after warm-up: last third's peak ${last.toFixed(1)} MB is ${growth.toFixed(1)} MB over the middle third's (tolerance ${tolerance.toFixed(1)} MB)`,
      }
    : {
        ok: true,
        reason: `peak RSS ${peak.toFixed(1)} MB within ${budgetMb} MB; after warm-up it moved ${growth.toFixed(1)} MB (tolerance ${tolerance.toFixed(1)} MB)`,
      };
}
