import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildNodeEntry, freePort, type NodeProcess, spawnNodeEntry } from "../../scripts/lib/processes";
import { findInvariantViolations } from "../../src/db/invariants";
import { givenEntity, givenManyLeads, readLead, writesFor } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { inPool } from "../support/pool";
import { LOAD_TEST_BUDGETS } from "../support/rate-limits";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { TEST_SECRET, tokenFor } from "../support/tokens";

let database: TestDatabase;
let server: NodeProcess | undefined;
beforeAll(async () => {
  database = await createTestDatabase();
  buildNodeEntry();
});
afterAll(() => {
  server?.child.kill("SIGKILL");
  database.close();
});

/**
 * POSTs a conversion with node:http, calling `onSent` once the whole request
 * has been handed to the operating system — from then on the server may act on it.
 */
function convert(url: string, init: RequestInit, onSent: () => void): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${CONVERT_PATH}`,
      { method: "POST", headers: init.headers as Record<string, string> },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
        res.on("error", reject);
      },
    );
    req.on("finish", onSent);
    req.on("error", reject);
    req.end(init.body as string);
  });
}

describe("crash", () => {
  it("SIGKILL of the production build under load, restart on the same file: every 200 is there, requests in flight settle by retry, nothing else moved", async () => {
    const entity = await givenEntity(database.db);
    const leadIds = await givenManyLeads(database.db, entity.ecosystemId, 4_000);
    const token = await tokenFor(entity.id);
    const requestFor = (leadId: string) =>
      conversionRequest(token, { lead_id: leadId, financial_entity_id: entity.id });
    const env = { TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET, ...LOAD_TEST_BUDGETS.env };
    const port = await freePort();
    server = await spawnNodeEntry(env, port, { built: true });

    const confirmed = new Map<string, string>();
    const refusedBeforeKill: number[] = [];
    const unanswered = new Set<string>(); // sent, no answer yet
    let inFlightAtKill: string[] | undefined;
    const neverSent: string[] = [];
    await inPool(leadIds, 16, async (leadId) => {
      if (inFlightAtKill) return neverSent.push(leadId);
      try {
        const { status, body } = await convert(server!.url, requestFor(leadId), () => unanswered.add(leadId));
        unanswered.delete(leadId);
        if (status === 200) confirmed.set(leadId, (JSON.parse(body) as { _id: string })._id);
        else if (!inFlightAtKill) refusedBeforeKill.push(status);
      } catch {
        // The connection died with the server: settled below.
      }
      if (!inFlightAtKill && confirmed.size >= 300) {
        inFlightAtKill = [...unanswered];
        server!.child.kill("SIGKILL");
      }
    });
    expect(await server.exited).toBeNull();
    expect(refusedBeforeKill).toEqual([]);
    expect(confirmed.size).toBeGreaterThanOrEqual(300);
    // The kill must have caught requests on their way: otherwise this test proves nothing about them.
    expect(inFlightAtKill!.length).toBeGreaterThan(0);
    expect(neverSent.length).toBeGreaterThan(0);

    server = await spawnNodeEntry(env, port, { built: true });

    for (const [leadId, clientId] of confirmed) {
      expect((await readLead(database.db, leadId))?.convertedClientId, leadId).toBe(clientId);
    }
    for (const leadId of neverSent) {
      expect(await writesFor(database.db, leadId), leadId).toEqual({ clients: 0, audits: 0 });
    }
    expect(await findInvariantViolations(database.db)).toEqual([]);

    // What was in flight is settled by retrying: a replay if it had committed, a conversion if not.
    const retried = await inPool(
      inFlightAtKill!,
      16,
      async (leadId) => (await convert(server!.url, requestFor(leadId), () => {})).status,
    );
    expect(retried.filter((status) => status !== 200)).toEqual([]);
    for (const leadId of inFlightAtKill!) {
      expect(await writesFor(database.db, leadId), leadId).toEqual({ clients: 1, audits: 1 });
    }
    expect(await findInvariantViolations(database.db)).toEqual([]);
    server.child.kill("SIGKILL");
  }, 120_000);
});
