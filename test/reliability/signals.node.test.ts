import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildNodeEntry, freePort, type NodeProcess, spawnNodeEntry } from "../../scripts/lib/processes";
import { givenConvertibleLead, writesFor } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { TEST_SECRET, tokenFor } from "../support/tokens";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every process below `pid` right now, from /proc (Linux). */
function descendants(pid: number): number[] {
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return [];
  const children = readdirSync(tasks).flatMap((task) => {
    try {
      return readFileSync(`${tasks}/${task}/children`, "utf8").split(" ").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** Running, not a zombie waiting for its parent to read its status. */
function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]![0] !== "Z";
  } catch {
    return false;
  }
}

async function portIsFree(port: number): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

async function waitUntilHealthy(url: string, child: ChildProcess, output: () => string, seconds: number) {
  for (const giveUpAt = Date.now() + seconds * 1_000; Date.now() < giveUpAt; await sleep(200)) {
    if (child.exitCode !== null) throw new Error(`exited before it was healthy:\n${output()}`);
    if (
      await fetch(`${url}/healthz`).then(
        (res) => res.ok,
        () => false,
      )
    )
      return;
  }
  throw new Error(`not healthy within ${seconds} s:\n${output()}`);
}

/** What is still running of `pids` after up to `seconds`. */
async function survivorsAfter(pids: number[], seconds: number): Promise<number[]> {
  for (const giveUpAt = Date.now() + seconds * 1_000; Date.now() < giveUpAt; await sleep(100)) {
    if (!pids.some(isRunning)) return [];
  }
  return pids.filter(isRunning);
}

const describeProcess = (pid: number) => {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").slice(0, 120)}`;
  } catch {
    return String(pid);
  }
};

let database: TestDatabase;
const started: ChildProcess[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
const recorded: number[] = [];
afterEach(() => {
  // Whatever a failed test left running.
  for (const child of started.splice(0)) if (child.pid && isRunning(child.pid)) child.kill("SIGKILL");
  for (const pid of recorded.splice(0)) if (isRunning(pid)) process.kill(pid, "SIGKILL");
});
afterAll(() => database.close());

describe("npm start and npm run start:node stop with everything they started", () => {
  async function startThenSignal(script: string, signal: NodeJS.Signals, startupSeconds: number) {
    const [port, libsqlPort] = [await freePort(), await freePort()];
    const npm = spawn("npm", ["run", script], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        LIBSQL_SERVER_PORT: String(libsqlPort),
        TURSO_DATABASE_URL: database.url,
        JWT_SECRET: TEST_SECRET,
        WRANGLER_SEND_METRICS: "false",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.push(npm);
    let output = "";
    const keep = (chunk: Buffer) => (output = (output + chunk).slice(-16_384));
    npm.stdout.on("data", keep);
    npm.stderr.on("data", keep);
    await waitUntilHealthy(`http://127.0.0.1:${port}`, npm, () => output, startupSeconds);

    const tree = [npm.pid!, ...descendants(npm.pid!)];
    recorded.push(...tree);
    const names = tree.map(describeProcess);
    npm.kill(signal);

    const survivors = await survivorsAfter(tree, 8);
    expect(survivors.map(describeProcess), output).toEqual([]);
    expect(await portIsFree(port)).toBe(true);
    expect(await portIsFree(libsqlPort)).toBe(true);
    return names;
  }

  it("npm start (libSQL server + wrangler dev + workerd): SIGTERM to npm leaves no process and frees the ports", async () => {
    const names = await startThenSignal("start", "SIGTERM", 90);
    expect(names.join("\n")).toMatch(/workerd/);
  }, 120_000);

  it("npm run start:node: SIGINT to npm leaves no process and frees the port", async () => {
    await startThenSignal("start:node", "SIGINT", 60);
  }, 90_000);
});

describe("the Node entry (dist/node.mjs) on SIGTERM", () => {
  let server: NodeProcess | undefined;
  afterEach(() => server?.child.kill("SIGKILL"));

  it("stops accepting, answers the request in flight, closes the database and exits 0", async () => {
    buildNodeEntry();
    const port = await freePort();
    server = await spawnNodeEntry(
      { TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET, DATABASE_TIMEOUT_MS: "5000" },
      port,
      {
        built: true,
      },
    );
    const { entity, lead } = await givenConvertibleLead(database.db);
    const token = await tokenFor(entity.id);

    // Another connection holds the write lock, so the conversion is in flight, waiting for it, at the signal.
    const holder = createClient({ url: database.url });
    const tx = await holder.transaction("write");
    try {
      const inFlight = fetch(
        `${server.url}${CONVERT_PATH}`,
        conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id }),
      );
      await sleep(300);
      server.child.kill("SIGTERM");
      await sleep(300);
      expect(server.child.exitCode).toBeNull();
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
      await tx.rollback();

      const res = await inFlight;
      expect(res.status).toBe(200);
      const answeredAt = performance.now();
      expect(await server.exited).toBe(0);
      expect(performance.now() - answeredAt).toBeLessThan(2_000);
      expect(await writesFor(database.db, lead.id)).toEqual({ clients: 1, audits: 1 });
      expect(await portIsFree(port)).toBe(true);
    } finally {
      tx.close();
      holder.close();
    }
  }, 60_000);
});
