import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, inProcessRateLimits } from "../../src/app";
import { givenConvertibleLead } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { TEST_SECRET, tokenFor } from "../support/tokens";

// Assign, unassign and the lists as the request log and the rate limits see them.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

const SCOPES = "leads:write leads:read users:read";

describe("the request log", () => {
  it("names the route pattern, the lead and the outcome — never the query string", async () => {
    const logger = silentLogger();
    const app = createApp({ db: database.db, auth: { secret: TEST_SECRET }, logger });
    const { entity, lead } = await givenConvertibleLead(database.db, { nit: "900.123.456-8" });
    const headers = { Authorization: `Bearer ${await tokenFor(entity.id, { scope: SCOPES })}` };

    await app.request(`/leads/${lead.id}/assign`, { method: "POST", headers });
    await app.request(`/leads/${lead.id}/assign`, { method: "POST", headers });
    await app.request(`/leads/${lead.id}/unassign`, { method: "POST", headers });
    await app.request("/leads?nit=900.123.456-8&limit=1", { headers });
    await app.request("/users?email=ana%40example.com", { headers });
    await app.request("/leads?limit=0", { headers });

    const lines = logger.records.filter((r) => r.msg === "request");
    expect(lines.map((r) => [r.path, r.status, r.outcome])).toEqual([
      ["/leads/:lead_id/assign", 200, "assigned"],
      ["/leads/:lead_id/assign", 200, "replayed"],
      ["/leads/:lead_id/unassign", 200, "unassigned"],
      ["/leads", 200, "listed"],
      ["/users", 200, "listed"],
      ["/leads", 400, "validation_error"],
    ]);
    expect(lines[0]!.lead_id).toBe(lead.id);
    expect(logger.text()).not.toContain("900.123.456");
    expect(logger.text()).not.toContain("example.com");
  });
});

describe("rate limits", () => {
  it("assign, unassign and the lists spend the credential's other-requests budget, refused with 429 past it", async () => {
    const app = createApp({
      db: database.db,
      auth: { secret: TEST_SECRET },
      logger: silentLogger(),
      rateLimits: inProcessRateLimits({ conversions: 100, requests: 3 }),
    });
    const { entity, lead } = await givenConvertibleLead(database.db);
    const headers = { Authorization: `Bearer ${await tokenFor(entity.id, { scope: SCOPES })}` };

    const statuses = [
      (await app.request(`/leads/${lead.id}/assign`, { method: "POST", headers })).status,
      (await app.request("/leads", { headers })).status,
      (await app.request("/users", { headers })).status,
      (await app.request(`/leads/${lead.id}/unassign`, { method: "POST", headers })).status,
    ];

    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
