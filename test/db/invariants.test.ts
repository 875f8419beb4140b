import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { findInvariantViolations } from "../../src/db/invariants";
import { givenClient, givenEntity, givenLead } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { TEST_SECRET, tokenFor } from "../support/tokens";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

/** A lead linked into an existing client through the API, and the ids involved. */
async function givenLinkedLead() {
  const db = database.db;
  const app = createApp({ db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
  const entity = await givenEntity(db);
  const existing = await givenClient(db, {
    financialEntityId: entity.id,
    ecosystemId: entity.ecosystemId,
    nit: "300.300.300-0",
  });
  const lead = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "300300300" });
  const res = await app.request("/turn-lead-into-client", {
    method: "POST",
    headers: { Authorization: `Bearer ${await tokenFor(entity.id)}`, "Content-Type": "application/json" },
    body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id, on_existing_client: "link" }),
  });
  expect(res.headers.get("lead-linked")).toBe("true");
  return { entity, existing, lead };
}

const run = (sql: string, args: string[]) => database.db.$client.execute({ sql, args });

describe("the invariants, for a client holding linked leads", () => {
  it("hold after a link", async () => {
    await givenLinkedLead();
    expect(await findInvariantViolations(database.db)).toEqual([]);
  });

  it("report an audit record that says a linked lead was made into its client", async () => {
    const { lead } = await givenLinkedLead();
    await run("update lead_conversions set linked = 0 where lead_id = ?", [lead.id]);
    expect(await findInvariantViolations(database.db)).toEqual([expect.objectContaining({ ids: [lead.id] })]);
    await run("update lead_conversions set linked = 1 where lead_id = ?", [lead.id]);
  });

  it("report a linked lead pointing to a client of another entity", async () => {
    const { lead } = await givenLinkedLead();
    const other = await givenEntity(database.db);
    const foreign = await givenClient(database.db, { financialEntityId: other.id, ecosystemId: other.ecosystemId });
    const { rows } = await run("select converted_client_id from leads where id = ?", [lead.id]);
    await run("update leads set converted_client_id = ? where id = ?", [foreign.id, lead.id]);
    const rules = (await findInvariantViolations(database.db)).map((v) => v.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^a converted lead has the converted status/),
        expect.stringMatching(/^an audit record matches/),
      ]),
    );
    await run("update leads set converted_client_id = ? where id = ?", [String(rows[0]![0]), lead.id]);
  });

  it("report a client claiming to be made from a lead that was linked elsewhere", async () => {
    const { entity, lead } = await givenLinkedLead();
    const impostor = await givenClient(database.db, {
      financialEntityId: entity.id,
      ecosystemId: entity.ecosystemId,
      leadId: lead.id,
    });
    expect((await findInvariantViolations(database.db)).flatMap((v) => v.ids)).toContain(impostor.id);
    await run("delete from clients where id = ?", [impostor.id]);
    expect(await findInvariantViolations(database.db)).toEqual([]);
  });
});
