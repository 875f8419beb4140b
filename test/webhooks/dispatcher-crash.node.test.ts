import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type NodeProcess, spawnNodeEntry } from "../../scripts/lib/processes";
import { givenEntity, givenManyLeads } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { TEST_SECRET, tokenFor } from "../support/tokens";
import { startReceiver } from "./receiver";
import { convert, register } from "./suite";

let database: TestDatabase;
let server: NodeProcess | undefined;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => {
  server?.child.kill("SIGKILL");
  database.close();
});

describe("conversion events — crash of the Node entry", () => {
  it("SIGKILL while deliveries are pending and failing, restart: every event reaches the receiver", async () => {
    let healthy = false;
    const receiver = await startReceiver(() => ({ status: healthy ? 200 : 500 }));
    try {
      const entity = await givenEntity(database.db);
      const leadIds = await givenManyLeads(database.db, entity.ecosystemId, 20);
      const token = await tokenFor(entity.id, { scope: "leads:convert webhooks:manage events:read" });
      // Ten attempts a second apart: none is exhausted before the receiver recovers.
      const env = {
        TURSO_DATABASE_URL: database.url,
        JWT_SECRET: TEST_SECRET,
        WEBHOOK_ALLOW_INSECURE_URLS: "true",
        WEBHOOK_RETRY_SCHEDULE: "0,1,1,1,1,1,1,1,1,1",
      };
      const port = await freePort();
      server = await spawnNodeEntry(env, port);
      const target = {
        fetch: (path: string, init?: RequestInit) => fetch(`${server!.url}${path}`, init),
        db: database.db,
        close: async () => {},
      };
      const endpoint = await register(target, token, receiver.url);

      const converted = await Promise.all(leadIds.map((leadId) => convert(target, token, leadId, entity.id)));
      expect(converted.map((c) => c.status)).toEqual(leadIds.map(() => 200));
      // Every event has been tried and refused at least once, and retries are pending.
      await receiver.until((r) => new Set(r.map((h) => h.id)).size === leadIds.length, 15_000);
      server.child.kill("SIGKILL");
      expect(await server.exited).toBeNull();

      healthy = true;
      const refusedBefore = receiver.received.length;
      server = await spawnNodeEntry(env, port);
      // A delivery in flight at the kill is held by its lease (30 s) and then picked up again.
      const got = await receiver.until(
        (r) => new Set(r.slice(refusedBefore).map((h) => h.id)).size === leadIds.length,
        45_000,
      );
      const delivered = new Set(got.slice(refusedBefore).map((h) => h.id));
      expect(delivered.size).toBe(leadIds.length);
      const log = (await fetch(`${server.url}/events?limit=100`, {
        headers: { Authorization: `Bearer ${token}` },
      }).then((r) => r.json())) as { data: { id: string }[] };
      expect(new Set(log.data.map((e) => e.id))).toEqual(delivered);
      expect(endpoint.status).toBe("enabled");
      server.child.kill("SIGKILL");
    } finally {
      await receiver.close();
    }
  }, 90_000);
});
