import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "../../../src/db/schema";
import { expectProblem } from "../../contract/expect";
import { givenConvertibleLead, givenEntity, givenLead, writesFor } from "../../support/builders";
import { countingDatabase, createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { CONVERT_PATH, conversionRequest } from "../../support/requests";
import { TEST_SECRET, tokenFor } from "../../support/tokens";
import { json } from "../../webhooks/suite";

let database: TestDatabase;
let counted: ReturnType<typeof countingDatabase>;
let app: ReturnType<typeof createApp>;
let logs: ReturnType<typeof silentLogger>;
beforeAll(async () => {
  database = await createTestDatabase();
  counted = countingDatabase(database.db.$client);
  logs = silentLogger();
  app = createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: logs });
});
afterAll(() => database.close());

const SCOPES = "leads:convert webhooks:manage events:read";
const request = (path: string, init: RequestInit) => app.request(path, init);

async function givenManager() {
  const { entity, lead } = await givenConvertibleLead(database.db);
  return { entity, lead, token: await tokenFor(entity.id, { scope: SCOPES }) };
}

async function registered(token: string, url = "https://hooks.example.com/leads") {
  const res = await request("/webhook-endpoints", json("POST", token, { url }));
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

const eventsOf = async (entityId: string) =>
  (
    await database.db.select({ n: count() }).from(webhookEvents).where(eq(webhookEvents.financialEntityId, entityId))
  )[0]!.n;

describe("destination URLs (SSRF)", () => {
  const HOSTILE = [
    "http://hooks.example.com/leads",
    "https://127.0.0.1/hook",
    "https://2130706433/hook",
    "https://0x7f.0.0.1/hook",
    "https://0177.0.0.1/hook",
    "https://127.1/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:7f00:1]/hook",
    "https://localhost/hook",
    "https://LocalHost./hook",
    "https://api.localhost/hook",
    "https://user:pass@hooks.example.com/hook",
    "https://user@hooks.example.com/hook",
    "https://10.0.0.8/hook",
    "https://172.16.3.4/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://0/hook",
    "https://[fd12:3456::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "ftp://hooks.example.com/hook",
    "not a url",
  ];

  it.each(HOSTILE)("refuses %s with 400 validation_error at url, storing nothing", async (url) => {
    const { entity, token } = await givenManager();
    const res = await request("/webhook-endpoints", json("POST", token, { url }));
    const body = await expectProblem(res, 400, "validation_error");
    expect(body.errors).toEqual([{ path: "url", message: expect.any(String) }]);
    const [stored] = await database.db
      .select({ n: count() })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.financialEntityId, entity.id));
    expect(stored!.n).toBe(0);
  });

  it("refuses a hostile URL in a PATCH too", async () => {
    const { token } = await givenManager();
    const { id } = await registered(token);
    await expectProblem(
      await request(`/webhook-endpoints/${id}`, json("PATCH", token, { url: "https://[::1]/" })),
      400,
      "validation_error",
    );
  });

  it("accepts public https destinations", async () => {
    const { token } = await givenManager();
    for (const url of [
      "https://hooks.example.com/leads?x=1",
      "https://8.8.8.8/hook",
      "https://[2606:4700:4700::1111]/hook",
    ]) {
      expect((await request("/webhook-endpoints", json("POST", token, { url }))).status).toBe(201);
    }
  });

  it("with WEBHOOK_ALLOW_INSECURE_URLS (local work) http://127.0.0.1 is accepted", async () => {
    const local = createApp({
      db: database.db,
      auth: { secret: TEST_SECRET },
      logger: silentLogger(),
      webhooks: { allowInsecureUrls: true },
    });
    const { token } = await givenManager();
    expect(
      (await local.request("/webhook-endpoints", json("POST", token, { url: "http://127.0.0.1:9999/hook" }))).status,
    ).toBe(201);
  });
});

describe("endpoints API", () => {
  it("shows the secret once, on create; never in reads", async () => {
    const { token } = await givenManager();
    const res = await request(
      "/webhook-endpoints",
      json("POST", token, { url: "https://hooks.example.com/a", description: "CRM" }),
    );
    const created = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(created)).toEqual(["id", "url", "description", "event_types", "status", "created_at", "secret"]);
    expect(created).toMatchObject({ description: "CRM", event_types: ["lead.converted"], status: "enabled" });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const list = await (await request("/webhook-endpoints", json("GET", token))).text();
    const one = await (await request(`/webhook-endpoints/${created.id}`, json("GET", token))).text();
    for (const text of [list, one]) {
      expect(text).not.toContain(String(created.secret).slice(6));
      expect(text).not.toContain("secret");
    }
    expect(JSON.parse(one)).toEqual({ ...created, secret: undefined, disabled_reason: null });
    expect(logs.text()).not.toContain(String(created.secret).slice(6));
  });

  it("validates bodies: event types, fields, media type", async () => {
    const { token } = await givenManager();
    const bad = await request(
      "/webhook-endpoints",
      json("POST", token, { url: "https://hooks.example.com", event_types: ["lead.deleted"] }),
    );
    expect(
      ((await expectProblem(bad, 400, "validation_error")) as { errors: { path: string }[] }).errors[0]!.path,
    ).toBe("event_types.0");
    await expectProblem(await request("/webhook-endpoints", json("POST", token, {})), 400, "validation_error");
    await expectProblem(await request("/webhook-endpoints", json("POST", token, [])), 400, "validation_error");
    await expectProblem(
      await request("/webhook-endpoints", {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
        body: "url=x",
      }),
      415,
      "unsupported_media_type",
    );
  });

  it("needs a token, and the webhooks:manage scope when the token carries scopes", async () => {
    const { entity } = await givenManager();
    await expectProblem(await request("/webhook-endpoints", { method: "GET" }), 401, "unauthorized");
    const convertOnly = await tokenFor(entity.id, { scope: "leads:convert" });
    const res = await request("/webhook-endpoints", json("GET", convertOnly));
    await expectProblem(res, 403, "insufficient_scope");
    expect(res.headers.get("www-authenticate")).toContain('scope="webhooks:manage"');
    await expectProblem(await request("/events", json("GET", convertOnly)), 403, "insufficient_scope");
    const unscoped = await tokenFor(entity.id, { scope: undefined });
    expect((await request("/webhook-endpoints", json("GET", unscoped))).status).toBe(200);
  });

  it("disabling and re-enabling: the reason is kept while disabled and cleared after", async () => {
    const { token } = await givenManager();
    const { id } = await registered(token);
    const off = await request(`/webhook-endpoints/${id}`, json("PATCH", token, { status: "disabled" }));
    expect(await off.json()).toMatchObject({ status: "disabled", disabled_reason: expect.any(String) });
    const on = await request(
      `/webhook-endpoints/${id}`,
      json("PATCH", token, { status: "enabled", description: "back" }),
    );
    expect(await on.json()).toMatchObject({ status: "enabled", disabled_reason: null, description: "back" });
  });

  it("an entity that does not exist cannot register endpoints", async () => {
    const token = await tokenFor(crypto.randomUUID(), { scope: SCOPES });
    await expectProblem(
      await request("/webhook-endpoints", json("POST", token, { url: "https://hooks.example.com" })),
      404,
      "financial_entity_not_found",
    );
  });
});

describe("the outbox in the conversion batch", () => {
  it("a conversion with subscribers is still one database request, and writes one event and one delivery per enabled endpoint", async () => {
    const { entity, lead, token } = await givenManager();
    await registered(token);
    await registered(token, "https://hooks.example.com/b");
    const { id: off } = await registered(token, "https://hooks.example.com/off");
    await request(`/webhook-endpoints/${off}`, json("PATCH", token, { status: "disabled" }));
    const init = conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id });

    counted.reset();
    expect((await request(CONVERT_PATH, init)).status).toBe(200);
    expect(counted.calls()).toBe(1);
    const [event] = await database.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.financialEntityId, entity.id));
    const deliveries = await database.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.eventId, event!.id));
    expect(deliveries.map((d) => d.status)).toEqual(["pending", "pending"]);

    counted.reset();
    expect((await request(CONVERT_PATH, init)).status).toBe(200); // replay
    expect(counted.calls()).toBe(1);
    expect(await eventsOf(entity.id)).toBe(1);
  });

  it("is atomic with the conversion: a failing outbox write leaves no client, and a failing conversion write no event", async () => {
    for (const table of ["webhook_deliveries", "lead_conversions"]) {
      const { entity, lead, token } = await givenManager();
      await registered(token);
      // Test-only: make one write of the batch fail.
      await database.db.$client.execute(
        `CREATE TRIGGER fail_write BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'refused by test'); END`,
      );
      try {
        const res = await request(
          CONVERT_PATH,
          conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id }),
        );
        await expectProblem(res, 500, "internal_error");
        expect(await writesFor(database.db, lead.id)).toEqual({ clients: 0, audits: 0 });
        expect(await eventsOf(entity.id)).toBe(0);
      } finally {
        await database.db.$client.execute("DROP TRIGGER fail_write");
      }
    }
  });
});

describe("events log", () => {
  it("pages oldest first with after/limit and next_after", async () => {
    const entity = await givenEntity(database.db);
    const token = await tokenFor(entity.id, { scope: SCOPES });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const lead = await givenLead(database.db, { ecosystemId: entity.ecosystemId });
      const res = await request(
        CONVERT_PATH,
        conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id }),
      );
      expect(res.status).toBe(200);
    }
    const page = async (query: string) =>
      (await (await request(`/events${query}`, json("GET", token))).json()) as {
        data: { id: string }[];
        next_after: string | null;
      };
    const all = await page("");
    expect(all.data).toHaveLength(5);
    expect(all.next_after).toBeNull();
    ids.push(...all.data.map((e) => e.id));
    const first = await page("?limit=2");
    expect(first.data.map((e) => e.id)).toEqual(ids.slice(0, 2));
    expect(first.next_after).toBe(ids[1]);
    const second = await page(`?limit=2&after=${first.next_after}`);
    expect(second.data.map((e) => e.id)).toEqual(ids.slice(2, 4));
    const last = await page(`?limit=2&after=${second.next_after}`);
    expect(last).toEqual({ data: [expect.objectContaining({ id: ids[4] })], next_after: null });

    await expectProblem(await request("/events?limit=0", json("GET", token)), 400, "validation_error");
    await expectProblem(await request("/events?limit=101", json("GET", token)), 400, "validation_error");
    await expectProblem(
      await request(`/events?after=${crypto.randomUUID()}`, json("GET", token)),
      400,
      "validation_error",
    );
  });

  it("redeliver: 404 for an unknown endpoint, 202 to every enabled one with an empty body", async () => {
    const { entity, lead, token } = await givenManager();
    await registered(token);
    await request(CONVERT_PATH, conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id }));
    const [event] = await database.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.financialEntityId, entity.id));
    await expectProblem(
      await request(`/events/${event!.id}/redeliver`, json("POST", token, { endpoint_id: crypto.randomUUID() })),
      404,
      "webhook_endpoint_not_found",
    );
    // A pending delivery of the event is not doubled (limits.md): this one has been delivered.
    await database.db
      .update(webhookDeliveries)
      .set({ status: "succeeded" })
      .where(eq(webhookDeliveries.eventId, event!.id));
    expect(
      (
        await request(`/events/${event!.id}/redeliver`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(202);
    const deliveries = await database.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.eventId, event!.id));
    expect(deliveries).toHaveLength(2);
    await expectProblem(
      await request(`/events/${crypto.randomUUID()}/redeliver`, json("POST", token, {})),
      404,
      "event_not_found",
    );
  });
});
