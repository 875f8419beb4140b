import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@libsql/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { type Database, openRemoteDatabase } from "../../src/db/client";
import { openNodeDatabase } from "../../src/db/client-node";
import { prepareConversionBatch, StoredValueError } from "../../src/db/conversion-store";
import { describeError } from "../../src/log";
import { expectProblem } from "../contract/expect";
import { givenConvertibleLead, givenEntity, givenRawLead, readLead, writesFor } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { TEST_SECRET, tokenFor } from "../support/tokens";

let database: TestDatabase;
const servers: Server[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A conversion of a fresh lead through an app that reaches its database as `db`. */
async function convertThrough(db: Database, { databaseTimeoutMs = 2_000, before = async () => {} } = {}) {
  const logs = silentLogger();
  const app = createApp({ db, auth: { secret: TEST_SECRET }, databaseTimeoutMs, logger: logs });
  const { entity, lead } = await givenConvertibleLead(database.db);
  const init = conversionRequest(await tokenFor(entity.id), { lead_id: lead.id, financial_entity_id: entity.id });
  await before();
  const res = await app.request(CONVERT_PATH, init);
  return { res, lead, logs, retry: () => app.request(CONVERT_PATH, init) };
}

/** A local HTTP server standing where the database should be, answering however `handle` says. */
async function fakeUpstream(handle: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function expectUnavailable(res: Response) {
  expect(res.headers.get("retry-after")).toBe("1");
  const body = await expectProblem(res, 503, "service_unavailable");
  expect(JSON.stringify(body)).not.toMatch(/sqlite|select|insert|at .*\.ts|Error:/i);
}

describe("503 service_unavailable when the database cannot serve the request", () => {
  it("when another writer holds the lock past the busy timeout, and a retry afterwards converts", async () => {
    const holder = createClient({ url: database.url });
    let tx: Awaited<ReturnType<typeof holder.transaction>> | undefined;
    const busy = openNodeDatabase({ url: database.url, busyTimeoutMs: 50 });
    try {
      const { res, lead, retry } = await convertThrough(busy, {
        before: async () => void (tx = await holder.transaction("write")),
      });
      await expectUnavailable(res);
      await tx!.rollback();
      expect(await writesFor(database.db, lead.id)).toEqual({ clients: 0, audits: 0 });

      expect((await retry()).status).toBe(200);
      expect(await writesFor(database.db, lead.id)).toEqual({ clients: 1, audits: 1 });
    } finally {
      tx?.close();
      holder.close();
      busy.$client.close();
    }
  });

  it("when nothing listens at the database URL", async () => {
    const url = await fakeUpstream(() => undefined);
    await new Promise((resolve) => servers.pop()!.close(resolve));

    const { res, lead } = await convertThrough(openRemoteDatabase({ url, timeoutMs: 2_000 }));

    await expectUnavailable(res);
    expect(await writesFor(database.db, lead.id)).toEqual({ clients: 0, audits: 0 });
  });

  it("when the database never answers, after the configured deadline", async () => {
    const url = await fakeUpstream(() => undefined);

    const { res, logs } = await convertThrough(openRemoteDatabase({ url, timeoutMs: 200 }), { databaseTimeoutMs: 200 });

    await expectUnavailable(res);
    expect(logs.records).toContainEqual(expect.objectContaining({ level: "error", code: "service_unavailable" }));
  });

  it("when the database answers 503 or 500", async () => {
    for (const status of [503, 500]) {
      const url = await fakeUpstream((_req, res) => res.writeHead(status).end("upstream trouble"));
      await expectUnavailable((await convertThrough(openRemoteDatabase({ url, timeoutMs: 2_000 }))).res);
    }
  });

  it("when the connection drops mid-request", async () => {
    const url = await fakeUpstream((req) => req.socket.destroy());
    await expectUnavailable((await convertThrough(openRemoteDatabase({ url, timeoutMs: 2_000 }))).res);
  });
});

describe("atomicity", () => {
  it("a failure at the batch's last write leaves nothing written, and answers a bare 500", async () => {
    // A test-only trigger makes the audit insert, the last write of the batch, fail.
    await database.db.$client.execute(
      "CREATE TRIGGER fail_audit BEFORE INSERT ON lead_conversions BEGIN SELECT RAISE(ABORT, 'audit refused by test'); END",
    );
    try {
      const { res, lead, logs } = await convertThrough(database.db);

      const body = await expectProblem(res, 500, "internal_error");
      expect(JSON.stringify(body)).not.toMatch(/audit refused|trigger|lead_conversions|insert|sqlite/i);
      expect(await writesFor(database.db, lead.id)).toEqual({ clients: 0, audits: 0 });
      expect(await readLead(database.db, lead.id)).toEqual(lead);
      const logged = logs.records.find((r) => r.level === "error");
      expect(logged).toMatchObject({ request_id: body.request_id, code: "internal_error" });
      expect(JSON.stringify(logged)).toContain("audit refused by test");
    } finally {
      await database.db.$client.execute("DROP TRIGGER fail_audit");
    }
  });
});

describe("stored values that do not fit", () => {
  it("are normalized in the batch: a 200, and nothing stored reaches the log", async () => {
    const logs = silentLogger();
    const app = createApp({ db: database.db, auth: { secret: TEST_SECRET }, logger: logs });
    const entity = await givenEntity(database.db);
    const leadId = await givenRawLead(database.db, entity.ecosystemId, {
      additional_data: "not json: 900.123.456-8",
      payment_data: "[1,2]",
      quota: "abc 555 0102",
    });
    const init = conversionRequest(await tokenFor(entity.id), { lead_id: leadId, financial_entity_id: entity.id });

    const first = await app.request(CONVERT_PATH, init);
    const again = await app.request(CONVERT_PATH, init);

    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(logs.records.filter((r) => r.level === "error")).toEqual([]);
    expect(logs.text()).not.toMatch(/900\.123|555 0102|not json/);
  });

  it("a value that still fails to decode raises an error that carries neither the value nor a cause", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db, { paymentData: null, additionalData: null });
    const batch = prepareConversionBatch(database.db);
    const command = {
      leadId: lead.id,
      financialEntityId: entity.id,
      onExistingClient: "reject" as const,
      clientId: crypto.randomUUID(),
      auditId: crypto.randomUUID(),
      eventId: crypto.randomUUID(),
      subject: "test",
      requestId: "test",
      at: new Date().toISOString(),
      keyHash: null,
    };
    const results = await database.db.$client.batch(batch.statementsFor(command), "write");
    const read = results.at(-1)!;
    // As if the database had handed back a JSON column that does not parse.
    const tampered = {
      ...read,
      rows: [Array.from(read.rows[0]!).map((v) => (v === "{}" ? "not json: 900.123.456-8" : v))],
    };

    const error = (() => {
      try {
        batch.snapshotFrom([...results.slice(0, -1), tampered as unknown as typeof read]);
      } catch (thrown) {
        return thrown;
      }
    })();

    expect(error).toBeInstanceOf(StoredValueError);
    expect((error as Error).cause).toBeUndefined();
    expect(JSON.stringify(describeError(error))).not.toMatch(/900\.123|not json/);
  });
});

describe("the deadline on the embedded engine, while another connection holds the write lock", () => {
  it("answers 503 at the deadline, and the process keeps running meanwhile", async () => {
    const holder = createClient({ url: database.url });
    let tx: Awaited<ReturnType<typeof holder.transaction>> | undefined;
    // The same options the Node entry uses: the deadline is also the lock wait.
    const db = openNodeDatabase({ url: database.url, timeoutMs: 1_000 });
    let ticks = 0;
    let started = 0;
    const ticker = setInterval(() => (ticks += 1), 100);
    try {
      const { res } = await convertThrough(db, {
        databaseTimeoutMs: 1_000,
        before: async () => {
          tx = await holder.transaction("write");
          ticks = 0;
          started = performance.now();
        },
      });
      const elapsed = performance.now() - started;

      await expectUnavailable(res);
      expect(elapsed).toBeLessThan(1_500);
      expect(ticks).toBeGreaterThanOrEqual(5); // 0 while the engine blocks the thread
    } finally {
      clearInterval(ticker);
      tx?.close();
      holder.close();
      db.$client.close();
    }
  });
});
