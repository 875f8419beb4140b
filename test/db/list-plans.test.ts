import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toStatement } from "../../src/db/client";
import { clientPage, leadPage } from "../../src/db/list-store";
import { givenClient, givenEntity, givenLead } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";

// Every filter combination of GET /leads and GET /users, as the store builds it: each table is reached by an index
// (SEARCH … USING INDEX), never read whole (SCAN leads / SCAN clients), so a page reads about `limit` rows.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  // A little data, and the planner's statistics, so the plans are the ones a populated database gets.
  const entity = await givenEntity(database.db);
  for (let i = 0; i < 20; i++) {
    await givenLead(database.db, { ecosystemId: entity.ecosystemId, financialEntityId: i % 2 ? entity.id : null });
    await givenClient(database.db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId, nit: `${i}` });
  }
  await database.db.$client.execute("analyze");
});
afterAll(() => database?.close());

async function planOf(query: { getQuery(): { sql: string; params: unknown[] } }): Promise<string[]> {
  const { sql: text, args } = toStatement(query.getQuery()) as { sql: string; args: unknown[] };
  const result = await database.db.$client.execute({ sql: `explain query plan ${text}`, args: args as never });
  return result.rows.map((row) => String(row.detail));
}

/** Every subset of `items` (the empty one first). */
function subsets<T>(items: T[]): T[][] {
  const all: T[][] = [[]];
  for (const item of items) for (const s of all.slice()) all.push([...s, item]);
  return all;
}

const entity = sql`${"5f8e0c1d-2b3a-4c5d-8e9f-a1b2c3d4e501"}`;
const position = { createdAt: "2026-11-02T14:05:09.120Z", id: "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c01" };
const fullScan = (table: string) => new RegExp(`^SCAN ${table}\\b(?! USING)`);

describe("query plans of the lists", () => {
  const leadFilters = { status: "qualified" as const, nitKey: "900123456", externalId: "crm-42" };
  for (const assigned of [undefined, "me", "unassigned"] as const) {
    for (const chosen of subsets(Object.keys(leadFilters) as (keyof typeof leadFilters)[])) {
      for (const after of [null, position]) {
        const filters = { assigned, ...Object.fromEntries(chosen.map((k) => [k, leadFilters[k]])) };
        it(`GET /leads ${JSON.stringify(filters)}${after ? " after a cursor" : ""}: leads only through an index`, async () => {
          const plan = await planOf(leadPage(database.db, entity, { filters, after, limit: 50 }));
          expect(
            plan.filter((line) => fullScan("leads").test(line)),
            plan.join("\n"),
          ).toEqual([]);
          const ranges = plan.flatMap((line, i) =>
            /^SEARCH leads USING (COVERING )?INDEX \S+ \((ecosystem_id|created_by)=\?/.test(line) ? [i] : [],
          );
          expect(ranges.length, plan.join("\n")).toBe(assigned === undefined ? 2 : 1);
          // Each range is read in the index's order, up to its limit: no sort between its SEARCH and its end.
          // (What sorts after is the merge of at most 2 × (limit + 1) rows.)
          for (const start of ranges) {
            const end = plan.findIndex((line, i) => i > start && /^SCAN (\(subquery|page)/.test(line));
            expect(
              plan.slice(start, end).filter((line) => line.includes("TEMP B-TREE")),
              plan.join("\n"),
            ).toEqual([]);
          }
        });
      }
    }
  }

  const clientFilters = { nitKey: "900123456", email: "Ana@Example.com", leadId: position.id };
  for (const chosen of subsets(Object.keys(clientFilters) as (keyof typeof clientFilters)[])) {
    for (const after of [null, position]) {
      const filters = Object.fromEntries(chosen.map((k) => [k, clientFilters[k]]));
      it(`GET /users ${JSON.stringify(filters)}${after ? " after a cursor" : ""}: clients only through an index`, async () => {
        const plan = await planOf(clientPage(database.db, entity, { filters, after, limit: 50 }));
        expect(
          plan.filter((line) => fullScan("clients").test(line) || fullScan("leads").test(line)),
          plan.join("\n"),
        ).toEqual([]);
        expect(
          plan.some((line) => /^SEARCH clients USING/.test(line)),
          plan.join("\n"),
        ).toBe(true);
        // Without a NIT or a lead (at most one row), the page comes in the index's order, up to its limit: no sort.
        if (!("nitKey" in filters) && !("leadId" in filters)) {
          expect(
            plan.filter((line) => line.includes("TEMP B-TREE")),
            plan.join("\n"),
          ).toEqual([]);
          const index = "email" in filters ? "clients_list_email_idx" : "clients_list_idx";
          expect(plan[0], plan.join("\n")).toMatch(new RegExp(`^SEARCH clients USING (COVERING )?INDEX ${index} `));
        }
      });
    }
  }
});
