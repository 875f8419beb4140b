import type { InStatement } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { createBulkConversionStore } from "../../src/db/bulk-conversion-store";
import { createDatabase } from "../../src/db/client";
import type { ConversionCommand } from "../../src/domain/conversion";
import { givenEntity, givenManyLeads } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";

let database: TestDatabase | undefined;
afterEach(() => database?.close());

/** The database seen through a client that records how many statements each batch sends. */
function recordingBatches(db: TestDatabase["db"]) {
  const sizes: number[] = [];
  const client = new Proxy(db.$client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== "batch") return typeof value === "function" ? value.bind(target) : value;
      return (statements: InStatement[], mode: never) => {
        sizes.push(statements.length);
        return target.batch(statements, mode);
      };
    },
  });
  return { db: createDatabase(client), sizes };
}

const commandsFor = (
  leadIds: string[],
  financialEntityId: string,
  onExistingClient: ConversionCommand["onExistingClient"],
): ConversionCommand[] => {
  const at = new Date().toISOString();
  return leadIds.map((leadId) => ({
    leadId,
    financialEntityId,
    onExistingClient,
    clientId: crypto.randomUUID(),
    auditId: crypto.randomUUID(),
    eventId: crypto.randomUUID(),
    subject: financialEntityId,
    requestId: "bulk-test",
    at,
    keyHash: null,
  }));
};

describe("the bulk conversion store", () => {
  it("converts any number of leads with the same few statements, in one batch", async () => {
    database = await createTestDatabase();
    const entity = await givenEntity(database.db);
    const leadIds = await givenManyLeads(database.db, entity.ecosystemId, 101);
    const { db, sizes } = recordingBatches(database.db);
    const store = createBulkConversionStore(db, { timeoutMs: 5_000 });

    const one = await store.convertMany(commandsFor(leadIds.slice(0, 1), entity.id, "reject"));
    const hundred = await store.convertMany(commandsFor(leadIds.slice(1), entity.id, "reject"));

    expect(sizes).toHaveLength(2);
    expect(sizes[1]).toBe(sizes[0]);
    expect(sizes[0]).toBeLessThanOrEqual(8);
    expect(one.map((snapshot) => snapshot.lead?.id)).toEqual(leadIds.slice(0, 1));
    expect(hundred.map((snapshot) => snapshot.lead?.id)).toEqual(leadIds.slice(1));
    expect(
      hundred.every((snapshot) => snapshot.lead?.client !== null && snapshot.lead?.conversionAuditId !== null),
    ).toBe(true);
  });

  it("links lead by lead, in one batch whose statements grow with the leads", async () => {
    database = await createTestDatabase();
    const entity = await givenEntity(database.db);
    const leadIds = await givenManyLeads(database.db, entity.ecosystemId, 10);
    const { db, sizes } = recordingBatches(database.db);
    const store = createBulkConversionStore(db, { timeoutMs: 5_000 });

    const snapshots = await store.convertMany(commandsFor(leadIds, entity.id, "link"));

    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toBeGreaterThanOrEqual(10 * 7);
    expect(snapshots.map((snapshot) => snapshot.lead?.id)).toEqual(leadIds);
    expect(snapshots.every((snapshot) => snapshot.lead?.client !== null)).toBe(true);
  });
});
