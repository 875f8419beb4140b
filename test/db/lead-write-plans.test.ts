import type { InStatement } from "@libsql/client";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leadChangeStatements } from "../../src/db/lead-change-store";
import { leadIntakeStatements } from "../../src/db/lead-intake-store";
import { webhookEndpoints } from "../../src/db/schema";
import type { Acting } from "../../src/domain/caller";
import { MAX_BULK_NEW_LEADS, type NewLeadCommand } from "../../src/domain/lead-intake";
import { givenEntity, givenLead } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";

// Every statement of a 500-lead POST /leads/bulk, and of a PATCH that sets a NIT, reaches `leads` only by a key
// that names at most a few rows per item — its id, its external_id, its NIT key — never a range of the ecosystem or
// of the pool once per item (that was 500 × 20,000 rows, past the 5 s database deadline) and never the whole table.
// Checked without the planner's statistics (a database nobody ran ANALYZE on) and with them.

let database: TestDatabase;
let entity: { id: string; ecosystemId: string };
let poolLeadId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  entity = await givenEntity(db);
  const neighbour = await givenEntity(db, { ecosystemId: entity.ecosystemId });
  for (const owner of [entity.id, neighbour.id])
    await db.insert(webhookEndpoints).values({
      id: crypto.randomUUID(),
      financialEntityId: owner,
      url: "https://hooks.example.com/leads",
      eventTypes: ["lead.created", "lead.updated"],
      secret: "sealed",
    });
  for (let i = 0; i < 40; i++) {
    const lead = await givenLead(db, {
      ecosystemId: entity.ecosystemId,
      financialEntityId: i % 2 ? entity.id : null,
      createdBy: entity.id,
      externalId: `crm-${i}`,
    });
    if (i === 0) poolLeadId = lead.id;
  }
});
afterAll(() => database?.close());

const LEAD_ALIASES = "leads|x|created|same|holder|other";
// The lookups of one item: its own id, the entity's external_id, the ecosystem's NIT key.
const PER_ITEM_KEY = new RegExp(
  `^SEARCH (${LEAD_ALIASES}) USING (COVERING )?INDEX (sqlite_autoindex_leads_1 \\(id=\\?\\)|leads_created_by_external_id_uq \\(created_by=\\? AND external_id=\\?\\)|leads_list_nit_idx \\(ecosystem_id=\\? AND nit_key=\\?)`,
);
const READS_LEADS = new RegExp(`^(SEARCH|SCAN) (${LEAD_ALIASES})\\b`);

async function plansOf(statements: InStatement[]): Promise<{ text: string; plan: string[] }[]> {
  const plans = [];
  for (const statement of statements) {
    const { sql: text, args } = statement as { sql: string; args: never };
    const result = await database.db.$client.execute({ sql: `explain query plan ${text}`, args });
    plans.push({ text, plan: result.rows.map((row) => String(row.detail)) });
  }
  return plans;
}

/** The lines of `plan` that read `leads` otherwise than by one item's key. */
const wideReads = (plan: string[]) => plan.filter((line) => READS_LEADS.test(line) && !PER_ITEM_KEY.test(line));

const acting = (): Acting => ({
  caller: { kind: "jwt", financialEntityId: entity.id, subject: "plans", scopes: ["leads:write"] },
  at: new Date().toISOString(),
});

function bulkCall() {
  const leads: NewLeadCommand[] = Array.from({ length: MAX_BULK_NEW_LEADS }, (_, i) => ({
    leadId: crypto.randomUUID(),
    externalId: i % 3 ? `bulk-${i}` : null,
    digest: "0".repeat(64),
    pool: i % 2 === 0,
    status: "new",
    profile: { name: "Lead", nit: `9001${String(i).padStart(5, "0")}`, additionalData: { i } },
    nitKey: `9001${String(i).padStart(5, "0")}`,
  }));
  const at = new Date().toISOString();
  return {
    acting: acting(),
    namedEntityIds: [],
    requestId: "plans",
    at,
    eventIdPrefix: crypto.randomUUID().slice(0, 19),
    leads,
  };
}

for (const statistics of [false, true]) {
  describe(`query plans of the lead writes ${statistics ? "with" : "without"} the planner's statistics`, () => {
    beforeAll(async () => {
      if (statistics) await database.db.run(sql`analyze`);
    });

    it("POST /leads/bulk (500 leads, pool and own, with subscribers): each item reaches leads by its own key", async () => {
      const { statements } = leadIntakeStatements(database.db, bulkCall());
      const plans = await plansOf(statements);
      expect(plans.length).toBeGreaterThanOrEqual(6);
      for (const { text, plan } of plans) expect(wideReads(plan), `${text}\n${plan.join("\n")}`).toEqual([]);
      // The statements that read leads per item do read them (the check above is not vacuous).
      expect(plans.filter(({ plan }) => plan.some((line) => PER_ITEM_KEY.test(line))).length).toBeGreaterThanOrEqual(3);
    });

    it("PATCH /leads/{id} with a NIT: the holder of the key is found by the key", async () => {
      const { statements } = leadChangeStatements(database.db, {
        leadId: poolLeadId,
        acting: acting(),
        patch: { profile: { nit: "900123456" } },
        nitKey: "900123456",
        precondition: null,
        requestId: "plans",
        at: new Date().toISOString(),
        eventIdPrefix: crypto.randomUUID().slice(0, 19),
      });
      const plans = await plansOf(statements);
      for (const { text, plan } of plans) expect(wideReads(plan), `${text}\n${plan.join("\n")}`).toEqual([]);
      expect(
        plans.some(({ plan }) => plan.some((line) => /^SEARCH other USING INDEX leads_list_nit_idx/.test(line))),
      ).toBe(true);
    });
  });
}
