import { describe, expect, it } from "vitest";
import { generateIntegrationKey } from "../../src/http/auth";
import { givenApiKey, inTheFuture, inThePast } from "../support/api-keys";
import { givenClient, givenConvertibleLead, givenEntity, givenLead, writesFor } from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { BULK_PATH } from "./bulk";
import { expectProblem } from "./expect";
import { type ContractSuite, roundTripsOf } from "./target";

/** Integration keys end to end: created with a token, used as a static header, revoked. */
export const integrationKeys: ContractSuite = (target) =>
  describe("integration keys", () => {
    it("create with a token, convert with the key as a static header, revoke, then 401", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const second = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      const jwt = await tokenFor(entity.id, { scope: "keys:manage" });
      const created = await target().fetch("/api-keys", {
        method: "POST",
        headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "HubSpot workflow", scopes: ["leads:convert"], expires_at: inTheFuture() }),
      });
      expect(created.status).toBe(201);
      const { id, key } = await jsonOf(created);

      const converted = await target().fetch(
        CONVERT_PATH,
        conversionRequest(key, { lead_id: lead.id, financial_entity_id: entity.id }),
      );
      expect(converted.status).toBe(200);
      expect((await jsonOf(converted)).ecosystem).toBe(entity.ecosystemId);
      const replayed = await target().fetch(
        CONVERT_PATH,
        conversionRequest(key, { lead_id: lead.id, financial_entity_id: entity.id }),
      );
      expect(replayed.headers.get("idempotent-replayed")).toBe("true");
      await replayed.arrayBuffer();

      const listed = await jsonOf(await target().fetch("/api-keys", { headers: { Authorization: `Bearer ${jwt}` } }));
      expect(listed.data.map((k: { id: string }) => k.id)).toEqual([id]);
      expect(listed.data[0].last_used_at).not.toBeNull();

      const revoked = await target().fetch(`/api-keys/${id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${jwt}` },
      });
      expect(revoked.status).toBe(204);
      const refused = await target().fetch(
        CONVERT_PATH,
        conversionRequest(key, { lead_id: second.id, financial_entity_id: entity.id }),
      );
      expect(refused.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
      await expectProblem(refused, 401, "unauthorized");
      expect(await writesFor(target().db, second.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("a key cannot manage keys", async () => {
      const entity = await givenEntity(target().db);
      const { key } = await givenApiKey(target().db, entity.id);
      await expectProblem(
        await target().fetch("/api-keys", { headers: { Authorization: `Bearer ${key}` } }),
        403,
        "forbidden",
      );
    });
  });

/**
 * With an integration key, a conversion is still exactly one database round
 * trip on every outcome — the key's row is read by the conversion's own batch —
 * and a malformed key costs none.
 */
export const keyRoundTrips: ContractSuite = (target) =>
  describe("database round trips per request, with an integration key", () => {
    const measure = (key: string, body: unknown) =>
      roundTripsOf(target(), () => target().fetch(CONVERT_PATH, conversionRequest(key, body)));
    const keyOf = async (entityId: string, overrides: Parameters<typeof givenApiKey>[2] = {}) =>
      (await givenApiKey(target().db, entityId, overrides)).key;
    const convert = async (leadId: string, entityId: string, key?: string) =>
      measure(key ?? (await keyOf(entityId)), { lead_id: leadId, financial_entity_id: entityId });

    it("one for each call that manages keys — create, list, revoke — and none for a malformed key id", async () => {
      const entity = await givenEntity(target().db);
      const headers = { Authorization: `Bearer ${await tokenFor(entity.id, { scope: "keys:manage" })}` };
      const create = () =>
        target().fetch("/api-keys", {
          method: "POST",
          headers: { ...headers, "Content-Type": "application/json" },
          body: JSON.stringify({ name: "Counted", scopes: ["leads:convert"] }),
        });
      const list = () => target().fetch("/api-keys", { headers });
      const revoke = (id: string) => target().fetch(`/api-keys/${id}`, { method: "DELETE", headers });

      expect(await roundTripsOf(target(), create)).toEqual({ status: 201, round_trips: 1 });
      expect(await roundTripsOf(target(), list)).toEqual({ status: 200, round_trips: 1 });
      const [{ id }] = (await jsonOf(await list())).data;
      expect(await roundTripsOf(target(), () => revoke(id))).toEqual({ status: 204, round_trips: 1 });
      expect(await roundTripsOf(target(), () => revoke("not-a-uuid"))).toEqual({ status: 404, round_trips: 0 });
    });

    it("one for a new client, and one for its replay", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const key = await keyOf(entity.id);
      expect(await convert(lead.id, entity.id, key)).toEqual({ status: 200, round_trips: 1 });
      expect(await convert(lead.id, entity.id, key)).toEqual({ status: 200, round_trips: 1 });
    });

    it("one for each refusal of the key, decided from the batch's own read", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const unknown = (await generateIntegrationKey()).key;
      expect(await convert(lead.id, entity.id, unknown)).toEqual({ status: 401, round_trips: 1 });
      expect(await convert(lead.id, entity.id, await keyOf(entity.id, { revokedAt: inThePast() }))).toEqual({
        status: 401,
        round_trips: 1,
      });
      expect(await convert(lead.id, entity.id, await keyOf(entity.id, { expiresAt: inThePast() }))).toEqual({
        status: 401,
        round_trips: 1,
      });
      expect(await convert(lead.id, entity.id, await keyOf(entity.id, { scopes: ["leads:read"] }))).toEqual({
        status: 403,
        round_trips: 1,
      });
      expect(await convert(lead.id, entity.id, await keyOf(other.id))).toEqual({ status: 403, round_trips: 1 });
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("one for each outcome the database decides", async () => {
      const db = target().db;
      const entity = await givenEntity(db);
      const suspended = await givenEntity(db, { status: "suspended", ecosystemId: entity.ecosystemId });
      const other = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const held = await givenLead(db, { ecosystemId: entity.ecosystemId, financialEntityId: other.id });
      const taken = await givenConvertibleLead(db);
      const rival = await givenEntity(db, { ecosystemId: taken.entity.ecosystemId });
      await convert(taken.lead.id, taken.entity.id);
      await givenClient(db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId, nit: "890.903.938-8" });
      const clash = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "890903938" });

      expect(await convert(crypto.randomUUID(), suspended.id)).toEqual({ status: 403, round_trips: 1 });
      expect(await convert(crypto.randomUUID(), entity.id)).toEqual({ status: 404, round_trips: 1 });
      expect(await convert(held.id, entity.id)).toEqual({ status: 409, round_trips: 1 });
      expect(await convert(taken.lead.id, rival.id)).toEqual({ status: 409, round_trips: 1 });
      expect(await convert(clash.id, entity.id)).toEqual({ status: 409, round_trips: 1 });
    });

    it("one for a bulk call with a key, the key judged from that call's own read: converts, then 401 once revoked", async () => {
      const requests = target().dbRequests;
      if (!requests) throw new Error("this target cannot count database requests");
      const entity = await givenEntity(target().db);
      const leads = [
        await givenLead(target().db, { ecosystemId: entity.ecosystemId }),
        await givenLead(target().db, { ecosystemId: entity.ecosystemId }),
      ];
      const later = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      const key = await keyOf(entity.id);
      const bulkWith = async (credential: string, leadIds: string[]) => {
        await requests.reset();
        const res = await target().fetch(
          BULK_PATH,
          conversionRequest(credential, { financial_entity_id: entity.id, lead_ids: leadIds }),
        );
        return { res, round_trips: await requests.count() };
      };

      const converted = await bulkWith(
        key,
        leads.map((l) => l.id),
      );
      expect(converted.res.status).toBe(200);
      expect((await jsonOf(converted.res)).results.map((r: { status: number }) => r.status)).toEqual([200, 200]);
      expect(converted.round_trips).toBe(1);
      for (const lead of leads) expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });

      const revoked = await keyOf(entity.id, { revokedAt: inThePast() });
      const refused = await bulkWith(revoked, [later.id]);
      await expectProblem(refused.res, 401, "unauthorized");
      expect(refused.round_trips).toBe(1);
      const unscoped = await bulkWith(await keyOf(entity.id, { scopes: ["leads:read"] }), [later.id]);
      await expectProblem(unscoped.res, 403, "insufficient_scope");
      expect(await writesFor(target().db, later.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("one for each read with a key: its own entity's client and lead, 404 for another's, 403 without the scope, 401 once revoked", async () => {
      const requests = target().dbRequests;
      if (!requests) throw new Error("this target cannot count database requests");
      const db = target().db;
      const entity = await givenEntity(db);
      const other = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const mine = await givenClient(db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId });
      const theirs = await givenClient(db, { financialEntityId: other.id, ecosystemId: entity.ecosystemId });
      const lead = await givenLead(db, { ecosystemId: entity.ecosystemId });
      const held = await givenLead(db, { ecosystemId: entity.ecosystemId, financialEntityId: other.id });
      const key = await keyOf(entity.id, { scopes: ["users:read", "leads:read"] });
      const read = async (credential: string, path: string) => {
        await requests.reset();
        const res = await target().fetch(path, { headers: { Authorization: `Bearer ${credential}` } });
        const body = (await res.json()) as Record<string, unknown>;
        return { status: res.status, round_trips: await requests.count(), body };
      };

      const client = await read(key, `/users/${mine.id}`);
      expect({ status: client.status, round_trips: client.round_trips, _id: client.body._id }).toEqual({
        status: 200,
        round_trips: 1,
        _id: mine.id,
      });
      const visible = await read(key, `/leads/${lead.id}`);
      expect({ status: visible.status, round_trips: visible.round_trips, id: visible.body.id }).toEqual({
        status: 200,
        round_trips: 1,
        id: lead.id,
      });
      expect(await read(key, `/users/${theirs.id}`)).toMatchObject({
        status: 404,
        round_trips: 1,
        body: { code: "user_not_found" },
      });
      expect(await read(key, `/leads/${held.id}`)).toMatchObject({
        status: 404,
        round_trips: 1,
        body: { code: "lead_not_found" },
      });
      const convertOnly = await keyOf(entity.id, { scopes: ["leads:convert"] });
      expect(await read(convertOnly, `/users/${mine.id}`)).toMatchObject({
        status: 403,
        round_trips: 1,
        body: { code: "insufficient_scope" },
      });
      expect(await read(convertOnly, `/leads/${lead.id}`)).toMatchObject({
        status: 403,
        round_trips: 1,
        body: { code: "insufficient_scope" },
      });
      const revoked = await keyOf(entity.id, { scopes: ["users:read", "leads:read"], revokedAt: inThePast() });
      expect(await read(revoked, `/users/${mine.id}`)).toMatchObject({
        status: 401,
        round_trips: 1,
        body: { code: "unauthorized" },
      });
      // The isolate remembers what the database said of that key (a final state): it is not asked again.
      expect(await read(revoked, `/leads/${lead.id}`)).toMatchObject({
        status: 401,
        round_trips: 0,
        body: { code: "unauthorized" },
      });
      const revokedToo = await keyOf(entity.id, { scopes: ["users:read", "leads:read"], revokedAt: inThePast() });
      expect(await read(revokedToo, `/leads/${lead.id}`)).toMatchObject({
        status: 401,
        round_trips: 1,
        body: { code: "unauthorized" },
      });
      // An id that is not a UUID: the key is still judged first.
      const revokedThree = await keyOf(entity.id, { scopes: ["users:read", "leads:read"], revokedAt: inThePast() });
      expect(await read(revokedThree, "/users/not-a-uuid")).toMatchObject({ status: 401, round_trips: 1 });
      expect(await read(key, "/users/not-a-uuid")).toMatchObject({ status: 404, round_trips: 1 });
    });

    it("none for a malformed key or a wrong checksum", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const key = await keyOf(entity.id);
      const body = { lead_id: lead.id, financial_entity_id: entity.id };
      expect(await measure(key.slice(0, -1), body)).toEqual({ status: 401, round_trips: 0 });
      expect(await measure(key.slice(0, -1) + (key.endsWith("0") ? "1" : "0"), body)).toEqual({
        status: 401,
        round_trips: 0,
      });
      expect(await measure(key, { lead_id: "x" })).toEqual({ status: 400, round_trips: 0 });
    });
  });
