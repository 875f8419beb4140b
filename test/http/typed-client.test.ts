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
    const client = hc<AppType>("http://api.test", { fetch: (input: Request | string | URL, init?: RequestInit) => app.request(input, init) });

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
});
