import { hc } from "hono/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppType, createApp } from "../../src/app";
import { givenConvertibleLead } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { TEST_SECRET, tokenFor } from "../support/tokens";

let database: TestDatabase;
let app: AppType;
beforeAll(async () => {
  database = await createTestDatabase();
  app = createApp({ db: database.db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
});
afterAll(() => database.close());

describe("the typed client (hono/client)", () => {
  it("converts a lead with typed input and output", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const client = hc<AppType>("http://api.test", {
      fetch: (input: Request | string | URL, init?: RequestInit) => app.request(input, init),
    });

    const res = await client["turn-lead-into-client"].$post(
      { json: { lead_id: lead.id, financial_entity_id: entity.id } },
      { headers: { Authorization: `Bearer ${await tokenFor(entity.id)}` } },
    );

    expect(res.status).toBe(200);
    if (res.status !== 200) return;
    const user = await res.json();
    expect(user.ecosystem).toBe(entity.ecosystemId);
    expect(user.name).toBe(lead.name);
  });

  it("reads a client and a lead back, typed", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const client = hc<AppType>("http://api.test", {
      fetch: (input: Request | string | URL, init?: RequestInit) => app.request(input, init),
    });
    const headers = {
      Authorization: `Bearer ${await tokenFor(entity.id, { scope: "leads:convert users:read leads:read" })}`,
    };
    const converted = await client["turn-lead-into-client"].$post(
      { json: { lead_id: lead.id, financial_entity_id: entity.id } },
      { headers },
    );
    if (converted.status !== 200) throw new Error(`conversion answered ${converted.status}`);
    const { _id } = await converted.json();

    const user = await client.users[":user_id"].$get({ param: { user_id: _id } }, { headers });
    const read = await client.leads[":lead_id"].$get({ param: { lead_id: lead.id } }, { headers });

    expect(user.status).toBe(200);
    expect(read.status).toBe(200);
    if (user.status !== 200 || read.status !== 200) return;
    expect((await user.json()).name).toBe(lead.name);
    expect((await read.json()).converted_user_id).toBe(_id);
  });

  it("converts many leads in one call, typed, with link", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const client = hc<AppType>("http://api.test", {
      fetch: (input: Request | string | URL, init?: RequestInit) => app.request(input, init),
    });

    const res = await client["turn-leads-into-clients"].$post(
      { json: { financial_entity_id: entity.id, lead_ids: [lead.id], on_existing_client: "link" } },
      { headers: { Authorization: `Bearer ${await tokenFor(entity.id)}` } },
    );

    expect(res.status).toBe(200);
    if (res.status !== 200) return;
    const [item] = (await res.json()).results;
    expect(item && "user" in item && item.user.name).toBe(lead.name);
  });
});
