import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildNodeEntry, freePort, type NodeProcess, spawnNodeEntry } from "../../scripts/lib/processes";
import { givenConvertibleLead, writesFor } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
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

describe("the Node entry (dist/node.mjs) while another process holds the database's write lock", () => {
  it("answers 503 at DATABASE_TIMEOUT_MS and keeps answering other requests meanwhile", async () => {
    server = await spawnNodeEntry(
      { TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET, DATABASE_TIMEOUT_MS: "1000" },
      await freePort(),
      {
        built: true,
      },
    );
    const { entity, lead } = await givenConvertibleLead(database.db);
    const token = await tokenFor(entity.id);
    const holder = createClient({ url: database.url });
    const tx = await holder.transaction("write");
    try {
      const started = performance.now();
      const conversion = fetch(
        `${server.url}${CONVERT_PATH}`,
        conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id }),
      ).then((res) => ({ res, elapsed: performance.now() - started }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const healthStarted = performance.now();
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const healthElapsed = performance.now() - healthStarted;

      const { res, elapsed } = await conversion;
      expect(res.status).toBe(503);
      expect(elapsed).toBeLessThan(1_500);
      expect(healthElapsed).toBeLessThan(300);
    } finally {
      tx.close();
      holder.close();
    }
    expect(await writesFor(database.db, lead.id)).toEqual({ clients: 0, audits: 0 });
    const retry = await fetch(
      `${server.url}${CONVERT_PATH}`,
      conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id }),
    );
    expect(retry.status).toBe(200);
  });
});
