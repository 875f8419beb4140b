import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { openRemoteDatabase } from "../../src/db/client";
import { callDatabase } from "../../src/db/errors";
import type { ConversionStore } from "../../src/domain/conversion";
import { expectProblem } from "../contract/expect";
import { givenClient, givenConvertibleLead } from "../support/builders";
import { countingDatabase, createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { expectDocumentedResponse } from "../support/openapi";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { TEST_SECRET, tokenFor } from "../support/tokens";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

function appWithLogs() {
  const logs = silentLogger();
  const counted = countingDatabase(database.db.$client);
  return { app: createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: logs }), logs, counted };
}

describe("health", () => {
  it("GET /healthz answers without touching the database", async () => {
    const { app, counted } = appWithLogs();
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.clone().json()).toEqual({ status: "ok" });
    await expectDocumentedResponse("GET", "/healthz", res);
    expect(counted.calls()).toBe(0);
  });

  it("GET /readyz asks the database one cheap question", async () => {
    const { app, counted } = appWithLogs();
    const res = await app.request("/readyz");
    expect(res.status).toBe(200);
    await expectDocumentedResponse("GET", "/readyz", res);
    expect(counted.calls()).toBe(1);
  });

  it("GET /readyz asks the database at most once a second, however often it is called", async () => {
    const { app, counted } = appWithLogs();
    const statuses = await Promise.all(Array.from({ length: 50 }, async () => (await app.request("/readyz")).status));
    for (let i = 0; i < 50; i++) statuses.push((await app.request("/readyz")).status);
    expect(statuses).toEqual(Array(100).fill(200));
    expect(counted.calls()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect((await app.request("/readyz")).status).toBe(200);
    expect(counted.calls()).toBe(2);
  });

  it("GET /readyz is a 503 problem when the database cannot answer", async () => {
    const app = createApp({
      db: openRemoteDatabase({ url: "http://127.0.0.1:9", timeoutMs: 1_000 }),
      auth: { secret: TEST_SECRET },
      logger: silentLogger(),
    });
    const res = await app.request("/readyz");
    expect(res.headers.get("retry-after")).toBe("1");
    await expectDocumentedResponse("GET", "/readyz", res.clone());
    await expectProblem(res, 503, "service_unavailable");
  });
});

describe("structured logs", () => {
  it("write one JSON line per request with id, method, path, status, duration, entity, lead and outcome", async () => {
    const { app, logs } = appWithLogs();
    const { entity, lead } = await givenConvertibleLead(database.db);

    const res = await app.request(
      `${CONVERT_PATH}?trace=1`,
      conversionRequest(await tokenFor(entity.id), { lead_id: lead.id, financial_entity_id: entity.id }),
    );

    expect(logs.records).toHaveLength(1);
    expect(logs.records[0]).toEqual({
      level: "info",
      msg: "request",
      request_id: res.headers.get("x-request-id"),
      method: "POST",
      path: CONVERT_PATH,
      status: 200,
      duration_ms: expect.any(Number),
      financial_entity_id: entity.id,
      lead_id: lead.id,
      outcome: "converted",
    });
  });

  it("name the problem code as the outcome of a refused request", async () => {
    const { app, logs } = appWithLogs();
    const { entity, lead } = await givenConvertibleLead(database.db);
    const body = { lead_id: lead.id, financial_entity_id: entity.id };

    await app.request(CONVERT_PATH, conversionRequest(null, body));
    await app.request(CONVERT_PATH, conversionRequest(await tokenFor(entity.id), body));
    await app.request(CONVERT_PATH, conversionRequest(await tokenFor(entity.id), body));

    expect(logs.records.map((r) => [r.status, r.outcome])).toEqual([
      [401, "unauthorized"],
      [200, "converted"],
      [200, "replayed"],
    ]);
  });

  it("never carry a token, a NIT, an email or a phone number", async () => {
    const { app, logs } = appWithLogs();
    const { entity, lead } = await givenConvertibleLead(database.db, {
      nit: "901.555.777-4",
      email: "secret.person@example.com",
      phone: "+57 301 765 4321",
    });
    await givenClient(database.db, {
      financialEntityId: entity.id,
      ecosystemId: entity.ecosystemId,
      nit: "901555777",
    });
    const token = await tokenFor(entity.id);
    const body = { lead_id: lead.id, financial_entity_id: entity.id };

    await app.request(CONVERT_PATH, conversionRequest(token, body));
    await app.request(CONVERT_PATH, conversionRequest(`${token}x`, body));
    await app.request(`${CONVERT_PATH}?access_token=${token}`, conversionRequest(null, body));

    const text = logs.text();
    expect(logs.records).toHaveLength(3);
    for (const secret of [token, "901.555.777-4", "901555777", "secret.person@example.com", "+57 301 765 4321"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("log a server-side failure's cause once, with the request id", async () => {
    const logs = silentLogger();
    const app = createApp({
      db: openRemoteDatabase({ url: "http://127.0.0.1:9", timeoutMs: 1_000 }),
      auth: { secret: TEST_SECRET },
      logger: logs,
    });
    const entity = crypto.randomUUID();

    const res = await app.request(
      CONVERT_PATH,
      conversionRequest(await tokenFor(entity), { lead_id: crypto.randomUUID(), financial_entity_id: entity }),
    );

    const requestId = res.headers.get("x-request-id");
    const errors = logs.records.filter((r) => r.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      request_id: requestId,
      code: "service_unavailable",
      error: { name: "DatabaseUnavailableError" },
    });
    expect(JSON.stringify(errors[0])).toMatch(/cause/);
    expect(logs.records.filter((r) => r.level === "info")).toEqual([
      expect.objectContaining({ request_id: requestId, status: 503 }),
    ]);
  });
});

describe("error classes", () => {
  const convertRequest = async () => {
    const entity = crypto.randomUUID();
    return conversionRequest(await tokenFor(entity), { lead_id: crypto.randomUUID(), financial_entity_id: entity });
  };

  it("answer a code bug inside a database call with 500 internal_error: no retry advice, no stack, no message", async () => {
    const logs = silentLogger();
    // The real driver on the real database, handed a value our code forgot to fill: a TypeError, not an outage.
    const buggyStore: ConversionStore = {
      convert: () =>
        callDatabase(
          () => database.db.$client.execute({ sql: "select ?", args: [undefined as never] }),
          1_000,
        ) as never,
    };
    const app = createApp({ db: database.db, store: buggyStore, auth: { secret: TEST_SECRET }, logger: logs });

    const res = await app.request(CONVERT_PATH, await convertRequest());

    expect(res.headers.get("retry-after")).toBeNull();
    await expectDocumentedResponse("POST", CONVERT_PATH, res.clone());
    const text = await res.clone().text();
    await expectProblem(res, 500, "internal_error");
    expect(text).not.toMatch(/undefined cannot be passed|TypeError|\bat \S+ \(|select/i);
    expect(logs.records.filter((r) => r.level === "error")).toEqual([
      expect.objectContaining({ code: "internal_error", error: expect.objectContaining({ name: "TypeError" }) }),
    ]);
  });

  it("answer a TypeError thrown by the store itself with 500 internal_error", async () => {
    const buggyStore: ConversionStore = {
      convert: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'nit')");
      },
    };
    const app = createApp({
      db: database.db,
      store: buggyStore,
      auth: { secret: TEST_SECRET },
      logger: silentLogger(),
    });

    const res = await app.request(CONVERT_PATH, await convertRequest());

    expect(await res.clone().text()).not.toContain("nit");
    await expectProblem(res, 500, "internal_error");
  });

  it("answer an unreachable database with 503 service_unavailable and Retry-After", async () => {
    const app = createApp({
      db: openRemoteDatabase({ url: "http://127.0.0.1:9", timeoutMs: 1_000 }),
      auth: { secret: TEST_SECRET },
      logger: silentLogger(),
    });

    const res = await app.request(CONVERT_PATH, await convertRequest());

    expect(res.headers.get("retry-after")).toBe("1");
    await expectDocumentedResponse("POST", CONVERT_PATH, res.clone());
    await expectProblem(res, 503, "service_unavailable");
  });
});
