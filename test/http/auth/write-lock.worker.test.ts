import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateIntegrationKey } from "../../../src/http/auth/integration-keys";
import { givenApiKey, inThePast } from "../../support/api-keys";
import { givenConvertibleLead, givenEntity, writesFor } from "../../support/builders";
import { CONVERT_PATH } from "../../support/requests";
import { type HttpTarget, startNodeTarget, startWorkerTarget } from "../../support/targets";

// Generous against a slow shared machine, far below the lock wait (DATABASE_TIMEOUT_MS, 5 s): a request that queued
// for the lock could not answer within it.
const AT_ONCE_MS = 1_500;

/** Every route kind a key may call: single, bulk, reads, lists, lead writes, webhook routes. */
function routesFor(entityId: string, leadId: string) {
  const json = (method: string, path: string, body: unknown) => ({ method, path, body: JSON.stringify(body) });
  return [
    json("POST", CONVERT_PATH, { lead_id: leadId, financial_entity_id: entityId }),
    json("POST", "/turn-leads-into-clients", { lead_ids: [leadId], financial_entity_id: entityId }),
    { method: "GET", path: `/users/${crypto.randomUUID()}` },
    { method: "GET", path: `/leads/${leadId}` },
    { method: "GET", path: "/leads" },
    { method: "GET", path: "/users" },
    json("POST", "/leads", { name: "Ana" }),
    json("POST", "/leads/bulk", { leads: [{ name: "Ana" }, { name: "Luis" }] }),
    json("PATCH", `/leads/${leadId}`, { name: "Ana" }),
    { method: "POST", path: `/leads/${leadId}/assign` },
    json("POST", "/webhook-endpoints", { url: "https://hooks.example.com/in" }),
    { method: "GET", path: "/webhook-endpoints" },
    { method: "GET", path: "/events" },
    json("POST", `/events/${crypto.randomUUID()}/redeliver`, {}),
  ];
}

function send(target: HttpTarget, key: string, route: { method: string; path: string; body?: string }) {
  const started = performance.now();
  return target
    .fetch(route.path, {
      method: route.method,
      headers: { Authorization: `Bearer ${key}`, ...(route.body ? { "Content-Type": "application/json" } : {}) },
      body: route.body,
    })
    .then(async (res) => {
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - started };
    });
}

function writeLockSuite(name: string, start: () => Promise<HttpTarget>) {
  describe(`no write lock for keys that fail — ${name}`, () => {
    let target: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      target = await start();
    }, 90_000);
    afterAll(async () => {
      await target?.close();
    });

    it("while another connection holds a write transaction, unknown, revoked and expired keys answer 401 at once on every route; a valid key waits", async () => {
      const { entity, lead } = await givenConvertibleLead(target.db);
      const revoked = await givenApiKey(target.db, entity.id, { revokedAt: inThePast() });
      const expired = await givenApiKey(target.db, entity.id, { expiresAt: inThePast() });
      const valid = await givenApiKey(target.db, entity.id);
      const other = await givenEntity(target.db);

      // Warm: the first request of a runtime also opens its database client.
      expect((await send(target, (await generateIntegrationKey()).key, routesFor(entity.id, lead.id)[0]!)).status).toBe(
        401,
      );
      const holder = createClient({ url: target.dbUrl });
      const tx = await holder.transaction("write");
      let validAnswer: Promise<{ status: number; ms: number }> | undefined;
      try {
        // The holder writes, so a transaction that read before its commit cannot write after it without starting over.
        await tx.execute({ sql: "update financial_entities set name = name where id = ?", args: [other.id] });
        for (const route of routesFor(entity.id, lead.id)) {
          for (const key of [(await generateIntegrationKey()).key, revoked.key, expired.key]) {
            const answer = await send(target, key, route);
            expect(answer.status, `${route.method} ${route.path}`).toBe(401);
            expect(answer.ms, `${route.method} ${route.path}`).toBeLessThan(AT_ONCE_MS);
          }
        }
        validAnswer = send(target, valid.key, routesFor(entity.id, lead.id)[0]!);
        const early = await Promise.race([
          validAnswer.then(() => "answered"),
          new Promise((resolve) => setTimeout(() => resolve("waiting"), 500)),
        ]);
        expect(early).toBe("waiting");
        await tx.commit();
      } finally {
        tx.close();
        holder.close();
      }
      expect((await validAnswer!).status).toBe(200);
      expect(await writesFor(target.db, lead.id)).toEqual({ clients: 1, audits: 1 });
    });
  });
}

writeLockSuite("Node entry, embedded engine", () => startNodeTarget());
writeLockSuite("Worker in workerd, over HTTP to the local libSQL server", () => startWorkerTarget());
