import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findInvariantViolations } from "../../src/db/invariants";
import { givenEntity, givenManyLeads, readLead } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { inPool } from "../support/pool";
import { freePort, type NodeProcess, spawnNodeEntry } from "../../scripts/lib/processes";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { TEST_SECRET, tokenFor } from "../support/tokens";

let database: TestDatabase;
let server: NodeProcess | undefined;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => {
  server?.child.kill("SIGKILL");
  database.close();
});

describe("crash", () => {
  it("SIGKILL under load, restart on the same file: every 200 is there and nothing is half-converted", async () => {
    const entity = await givenEntity(database.db);
    const leadIds = await givenManyLeads(database.db, entity.ecosystemId, 4_000);
    const token = await tokenFor(entity.id);
    const env = { TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET };
    const port = await freePort();
    server = await spawnNodeEntry(env, port);

    const confirmed = new Map<string, string>();
    const unknown: string[] = [];
    let killed = false;
    await inPool(leadIds, 16, async (leadId) => {
      if (killed) return unknown.push(leadId);
      try {
        const res = await fetch(`${server!.url}${CONVERT_PATH}`, conversionRequest(token, { lead_id: leadId, financial_entity_id: entity.id }));
        const body = (await res.json()) as { _id: string };
        if (res.status === 200) confirmed.set(leadId, body._id);
        else unknown.push(leadId);
      } catch {
        unknown.push(leadId);
      }
      if (!killed && confirmed.size >= 300) {
        killed = true;
        server!.child.kill("SIGKILL");
      }
    });
    expect(await server.exited).toBeNull();
    expect(confirmed.size).toBeGreaterThanOrEqual(300);

    server = await spawnNodeEntry(env, port);

    for (const [leadId, clientId] of confirmed) {
      expect((await readLead(database.db, leadId))?.convertedClientId, leadId).toBe(clientId);
    }
    expect(await findInvariantViolations(database.db)).toEqual([]);

    // What was in flight is settled by retrying: a replay if it had committed, a conversion if not.
    const retried = await inPool(unknown, 16, async (leadId) => {
      const res = await fetch(`${server!.url}${CONVERT_PATH}`, conversionRequest(token, { lead_id: leadId, financial_entity_id: entity.id }));
      await res.arrayBuffer();
      return res.status;
    });
    expect(retried.filter((status) => status !== 200)).toEqual([]);
    expect(await findInvariantViolations(database.db)).toEqual([]);
    server.child.kill("SIGKILL");
  }, 120_000);
});
