import { describe, expect, it } from "vitest";
import { givenApiKey, inThePast, readApiKey } from "../support/api-keys";
import { givenClient, givenConvertibleLead, readLead } from "../support/builders";
import { jsonOf } from "../support/requests";
import { expectProblem } from "./expect";
import { type ContractSuite, roundTripsOf } from "./target";

type Target = ReturnType<Parameters<ContractSuite>[0]>;

const post = (target: Target, path: string, key: string) =>
  target.fetch(path, { method: "POST", headers: { Authorization: `Bearer ${key}` } });
const get = (target: Target, path: string, key: string) =>
  target.fetch(path, { headers: { Authorization: `Bearer ${key}` } });

/** Integration keys on assign, unassign and the lists: the key's own entity, its scopes, its state — judged in the one batch. */
export const leadKeys: ContractSuite = (target) =>
  describe("integration keys: assign, unassign, GET /leads, GET /users", () => {
    it("a key with leads:write assigns and unassigns for its own entity, and is marked used", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const { key, id } = await givenApiKey(target().db, entity.id, { scopes: ["leads:write"] });

      const res = await post(target(), `/leads/${lead.id}/assign`, key);

      expect(res.status).toBe(200);
      expect((await jsonOf(res)).financial_entity_id).toBe(entity.id);
      expect((await readApiKey(target().db, id))!.lastUsedAt).not.toBeNull();
      expect((await post(target(), `/leads/${lead.id}/unassign`, key)).status).toBe(200);
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBeNull();
    });

    it("a key without leads:write is 403, a revoked or expired one 401; neither changes anything", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const reader = (await givenApiKey(target().db, entity.id, { scopes: ["leads:read"] })).key;
      const revoked = (await givenApiKey(target().db, entity.id, { scopes: ["leads:write"], revokedAt: inThePast() }))
        .key;
      const expired = (await givenApiKey(target().db, entity.id, { scopes: ["leads:write"], expiresAt: inThePast() }))
        .key;

      await expectProblem(await post(target(), `/leads/${lead.id}/assign`, reader), 403, "insufficient_scope");
      await expectProblem(await post(target(), `/leads/${lead.id}/assign`, revoked), 401, "unauthorized");
      await expectProblem(await post(target(), `/leads/${lead.id}/assign`, expired), 401, "unauthorized");
      await expectProblem(await post(target(), "/leads/not-a-uuid/assign", revoked), 401, "unauthorized");
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBeNull();
    });

    it("lists with leads:read / users:read for the key's own entity; 403 without the scope, 401 when revoked", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const client = await givenClient(target().db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId });
      const key = (await givenApiKey(target().db, entity.id, { scopes: ["leads:read", "users:read"] })).key;
      const writer = (await givenApiKey(target().db, entity.id, { scopes: ["leads:write"] })).key;
      const revoked = (await givenApiKey(target().db, entity.id, { scopes: ["leads:read"], revokedAt: inThePast() }))
        .key;

      expect((await jsonOf(await get(target(), "/leads", key))).data.map((l: { id: string }) => l.id)).toEqual([
        lead.id,
      ]);
      expect((await jsonOf(await get(target(), "/users", key))).data.map((u: { _id: string }) => u._id)).toEqual([
        client.id,
      ]);
      await expectProblem(await get(target(), "/leads", writer), 403, "insufficient_scope");
      await expectProblem(await get(target(), "/users", writer), 403, "insufficient_scope");
      await expectProblem(await get(target(), "/leads", revoked), 401, "unauthorized");
    });
  });

/** With a key every answer — refusals included — is one database request. */
export const leadKeyRoundTrips: ContractSuite = (target) =>
  describe("database round trips: keys on assign, unassign and the lists", () => {
    it("one for each answer, refusals included", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const writer = (await givenApiKey(target().db, entity.id, { scopes: ["leads:write"] })).key;
      const reader = (await givenApiKey(target().db, entity.id, { scopes: ["leads:read", "users:read"] })).key;
      const revoked = (await givenApiKey(target().db, entity.id, { scopes: ["leads:write"], revokedAt: inThePast() }))
        .key;
      const count = (send: () => Promise<Response>) => roundTripsOf(target(), send);

      expect(await count(() => post(target(), `/leads/${lead.id}/assign`, writer))).toEqual({
        status: 200,
        round_trips: 1,
      });
      expect(await count(() => post(target(), `/leads/${lead.id}/unassign`, writer))).toEqual({
        status: 200,
        round_trips: 1,
      });
      expect(await count(() => post(target(), `/leads/${lead.id}/assign`, reader))).toEqual({
        status: 403,
        round_trips: 1,
      });
      expect(await count(() => post(target(), `/leads/${lead.id}/assign`, revoked))).toEqual({
        status: 401,
        round_trips: 1,
      });
      expect(await count(() => get(target(), "/leads", reader))).toEqual({ status: 200, round_trips: 1 });
      expect(await count(() => get(target(), "/users", reader))).toEqual({ status: 200, round_trips: 1 });
      expect(await count(() => get(target(), "/leads", writer))).toEqual({ status: 403, round_trips: 1 });
      // Remembered by the isolate (a final state): not asked again.
      expect(await count(() => get(target(), "/users", revoked))).toEqual({ status: 401, round_trips: 0 });
      const revokedToo = (await givenApiKey(target().db, entity.id, { scopes: ["users:read"], revokedAt: inThePast() }))
        .key;
      expect(await count(() => get(target(), "/users", revokedToo))).toEqual({ status: 401, round_trips: 1 });
      // …and what a list learned holds for every route, the other list and the lead writes included.
      expect(await count(() => get(target(), "/leads", revokedToo))).toEqual({ status: 401, round_trips: 0 });
      expect(await count(() => post(target(), `/leads/${lead.id}/assign`, revokedToo))).toEqual({
        status: 401,
        round_trips: 0,
      });
    });

    it("a key the lists or the lead writes found refused is not looked up again, on any route", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const count = (send: () => Promise<Response>) => roundTripsOf(target(), send);
      const refused = async () =>
        (await givenApiKey(target().db, entity.id, { scopes: ["leads:write", "leads:read"], revokedAt: inThePast() }))
          .key;
      const write = (method: string, path: string, key: string, body: unknown) =>
        target().fetch(path, {
          method,
          headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
      const requests: [string, (key: string) => Promise<Response>][] = [
        ["GET /leads", (key) => get(target(), "/leads?assigned=unassigned", key)],
        ["GET /users", (key) => get(target(), "/users", key)],
        ["POST /leads", (key) => write("POST", "/leads", key, { name: "Ana" })],
        ["POST /leads/bulk", (key) => write("POST", "/leads/bulk", key, { leads: [{ name: "Ana" }] })],
        ["PATCH /leads/{id}", (key) => write("PATCH", `/leads/${lead.id}`, key, { name: "Ana" })],
      ];
      for (const [first, send] of requests) {
        const key = await refused();
        expect(await count(() => send(key)), first).toEqual({ status: 401, round_trips: 1 });
        for (const [then, again] of requests)
          expect(await count(() => again(key)), `${first}, then ${then}`).toEqual({ status: 401, round_trips: 0 });
        expect(await count(() => get(target(), `/leads/${lead.id}`, key)), first).toEqual({
          status: 401,
          round_trips: 0,
        });
      }
      expect((await readLead(target().db, lead.id))!.name).toBe(lead.name);
    });
  });
