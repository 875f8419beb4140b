import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const NODE_SOURCE = fileURLToPath(new URL("../../src/node.ts", import.meta.url));
/** The Node entry compiled for production (`npm run build:node`): plain node, no TypeScript loader. */
export const NODE_BUILD = fileURLToPath(new URL("../../dist/node.mjs", import.meta.url));

/** Compiles src/node.ts to dist/node.mjs with the project's own `npm run build:node`. */
export function buildNodeEntry(): string {
  execFileSync("npm", ["run", "-s", "build:node"], { cwd: fileURLToPath(new URL("../../", import.meta.url)), stdio: ["ignore", "ignore", "inherit"] });
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
export async function spawnNodeEntry(env: Record<string, string>, port: number, { built = false } = {}): Promise<NodeProcess> {
  const args = built ? [NODE_BUILD] : ["--import", "tsx", NODE_SOURCE];
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
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return { url, child, output: () => output, exited };
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
