import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

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
  /** Everything the process wrote, for assertions on logs. */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * The Node entry (src/node.ts) as its own process, as it runs in production,
 * ready once /healthz answers.
 */
export async function spawnNodeEntry(env: Record<string, string>, port: number): Promise<NodeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/node.ts"], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
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
