import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient, LibsqlError } from "@libsql/client/web";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { type LibsqlServer, startLibsqlServer } from "../../../scripts/libsql-server/server";

// Every test starts its own server: the instruments are per server, and tests must not share them.

let dir: string;
let dbPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "libsql-server-instruments-"));
  dbPath = join(dir, "test.db");
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(
  options: { latencyMs?: number; admin?: boolean; port?: number } = {},
): Promise<LibsqlServer> {
  const server = await startLibsqlServer({ dbPath, ...options });
  onTestFinished(() => server.close());
  return server;
}

function newClient(server: LibsqlServer): Client {
  const client = createClient({ url: server.url });
  onTestFinished(() => client.close());
  return client;
}

async function createTable(client: Client): Promise<string> {
  const table = `t_${randomUUID().replaceAll("-", "")}`;
  await client.execute(`CREATE TABLE ${table} (n INTEGER)`);
  return table;
}

async function countRows(client: Client, table: string): Promise<unknown> {
  const result = await client.execute(`SELECT count(*) AS n FROM ${table}`);
  return result.rows[0]?.n;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

describe("latency", () => {
  it("delays every request by at least the configured time", async () => {
    const server = await startServer({ latencyMs: 80 });
    const client = newClient(server);

    expect(await timed(() => client.execute("SELECT 1"))).toBeGreaterThanOrEqual(80);
  });

  it("can be changed while the server runs, once per HTTP request", async () => {
    const server = await startServer();
    const client = newClient(server);

    server.setLatency(60);
    const transactionMs = await timed(async () => {
      const transaction = await client.transaction("write");
      await transaction.execute("SELECT 1");
      await transaction.commit();
    });

    // A transaction is two HTTP requests here: BEGIN with the first statement, then COMMIT with close.
    expect(transactionMs).toBeGreaterThanOrEqual(120);
  });
});

describe("injected failures", () => {
  it("answers HTTP 500 or 503 without executing, then serves the next request", async () => {
    const server = await startServer();
    const client = newClient(server);
    const table = await createTable(client);

    for (const status of ["500", "503"] as const) {
      server.failNext(1, status);
      const error = await client.execute(`INSERT INTO ${table} VALUES (1)`).catch((reason: unknown) => reason);

      expect(error).toBeInstanceOf(LibsqlError);
      expect((error as LibsqlError).code).toBe("INJECTED_FAILURE");
      expect((error as LibsqlError).message).toContain(`HTTP ${status}`);
    }
    expect(await countRows(client, table)).toBe(0);
  });

  it("drops the connection without executing", async () => {
    const server = await startServer();
    const client = newClient(server);
    const table = await createTable(client);

    server.failNext(1, "drop");
    const error = await client.execute(`INSERT INTO ${table} VALUES (1)`).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe("fetch failed");
    expect(await countRows(client, table)).toBe(0);
  });

  it("drops the connection after executing, so the client fails although the write committed", async () => {
    const server = await startServer();
    const client = newClient(server);
    const table = await createTable(client);

    server.failNext(1, "drop-after");
    const error = await client.execute(`INSERT INTO ${table} VALUES (1)`).catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(TypeError);
    expect(await countRows(client, table)).toBe(1);
  });

  it("fails exactly as many requests as asked", async () => {
    const server = await startServer();
    const client = newClient(server);

    server.failNext(2, "503");
    const outcomes = await Promise.allSettled([1, 2, 3].map(async () => client.execute("SELECT 1")));

    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected", "rejected"]);
  });
});

describe("pipeline request counter", () => {
  it("counts HTTP pipeline requests, failed ones included, and resets", async () => {
    const server = await startServer();
    const client = newClient(server);
    const table = await createTable(client);
    server.resetStats();

    await client.execute(`INSERT INTO ${table} VALUES (1)`);
    const afterExecute = server.pipelineRequests();
    await client.batch([`INSERT INTO ${table} VALUES (2)`, `INSERT INTO ${table} VALUES (3)`], "write");
    const afterBatch = server.pipelineRequests();
    server.failNext(1, "500");
    await client.execute("SELECT 1").catch(() => undefined);
    const afterFailure = server.pipelineRequests();
    server.resetStats();

    expect([afterExecute, afterBatch, afterFailure]).toEqual([1, 2, 3]);
    expect(server.pipelineRequests()).toBe(0);
  });
});

describe("stopping and restarting", () => {
  it("keeps the data in the file when a new server starts on the same port", async () => {
    const first = await startServer();
    const table = await createTable(newClient(first));
    await newClient(first).execute(`INSERT INTO ${table} VALUES (42)`);
    await first.close();

    const whileStopped = await newClient(first)
      .execute("SELECT 1")
      .catch((reason: unknown) => reason);
    const second = await startServer({ port: first.port });
    const result = await newClient(second).execute(`SELECT n FROM ${table}`);

    expect(whileStopped).toBeInstanceOf(TypeError);
    expect(second.url).toBe(first.url);
    expect(result.rows.map((row) => row.n)).toEqual([42]);
  });

  it("rolls back an open transaction when it stops", async () => {
    const first = await startServer();
    const table = await createTable(newClient(first));
    const transaction = await newClient(first).transaction("write");
    await transaction.execute(`INSERT INTO ${table} VALUES (1)`);
    await first.close();

    const second = await startServer({ port: first.port });
    // A network error if the client reuses the socket the old server closed, BATON_INVALID otherwise.
    const commit = await transaction.commit().then(
      () => "committed",
      () => "failed",
    );

    expect(commit).toBe("failed");
    expect(await countRows(newClient(second), table)).toBe(0);
  });
});

describe("admin routes", () => {
  async function admin(server: LibsqlServer, method: string, path: string, body?: unknown) {
    const response = await fetch(`${server.url}/__admin/${path}`, { method, body: JSON.stringify(body) });
    return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
  }

  it("report pipeline requests and open streams, and reset the count", async () => {
    const server = await startServer({ admin: true });
    const client = newClient(server);
    await client.execute("SELECT 1");
    const transaction = await client.transaction("write");
    await transaction.execute("SELECT 1");

    const stats = await admin(server, "GET", "stats");
    const reset = await admin(server, "POST", "reset");
    const afterReset = await admin(server, "GET", "stats");
    await transaction.rollback();

    expect(stats).toEqual({ status: 200, body: { pipeline_requests: 2, open_streams: 1 } });
    expect(reset.status).toBe(204);
    expect(afterReset.body).toEqual({ pipeline_requests: 0, open_streams: 1 });
  });

  it("set the latency", async () => {
    const server = await startServer({ admin: true });
    const client = newClient(server);

    expect((await admin(server, "POST", "latency", { ms: 70 })).status).toBe(204);

    expect(await timed(() => client.execute("SELECT 1"))).toBeGreaterThanOrEqual(70);
  });

  it("inject failures", async () => {
    const server = await startServer({ admin: true });
    const client = newClient(server);

    expect((await admin(server, "POST", "fail", { count: 1, mode: "503" })).status).toBe(204);

    await expect(client.execute("SELECT 1")).rejects.toMatchObject({ code: "INJECTED_FAILURE" });
    await expect(client.execute("SELECT 1")).resolves.toBeDefined();
  });

  it("refuse an unknown failure mode with a 400", async () => {
    const server = await startServer({ admin: true });

    const answer = await admin(server, "POST", "fail", { count: 1, mode: "explode" });

    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: "INVALID_BODY" });
  });

  it("are not served unless the server was started with admin on", async () => {
    const server = await startServer();

    expect((await admin(server, "GET", "stats")).status).toBe(404);
  });
});
