import { describe, expect, it } from "vitest";
import {
  auditFor,
  givenConvertibleLead,
  givenEntity,
  givenLead,
  givenRawLead,
  readLead,
  suspendEntity,
  writesFor,
} from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf, USER_KEYS } from "../support/requests";
import { tokenFor } from "../support/tokens";
import type { ContractSuite } from "./target";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const happyPath: ContractSuite = (target) =>
  describe("200 — the lead becomes a client", () => {
    const convert = async (leadId: string, entityId: string, headers: Record<string, string> = {}) =>
      target().fetch(
        CONVERT_PATH,
        conversionRequest(await tokenFor(entityId), { lead_id: leadId, financial_entity_id: entityId }, headers),
      );

    it("answers with exactly the 18 documented keys, in order, with their types", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);

      const res = await convert(lead.id, entity.id);

      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      const body = await jsonOf(res);
      expect(Object.keys(body)).toEqual(USER_KEYS);
      expect(body._id).toMatch(UUID);
      expect(typeof body.quota).toBe("number");
      expect(typeof body.score).toBe("number");
      expect(Array.isArray(body.history)).toBe(true);
      expect(body.payment_data).toBeTypeOf("object");
      expect(body.additional_data).toBeTypeOf("object");
      expect(body.apn_token).toBe("");
    });

    it("copies the lead's profile into the new client", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db, {
        image: "https://img.example.com/x.png",
        name: "María José",
        lastname: "Núñez",
        businessName: "Núñez & Hijos Ltda.",
        quota: 1234567.89,
        status: "qualified",
        phone: "+57 311 222 3333",
        email: "mj@example.com",
        nit: "900.111.222-1",
        address: "Av. Siempre Viva 742",
        history: [{ event: "called" }],
        score: 688.5,
        paymentData: { bank: "Banco Azul", account_type: "checking" },
        apnToken: "lead-device",
        businessEntity: "Ltda.",
        additionalData: { source: "fair", tags: ["a", "b"] },
      });

      const body = await jsonOf(await convert(lead.id, entity.id));

      expect(body).toEqual({
        _id: body._id,
        image: "https://img.example.com/x.png",
        name: "María José",
        lastname: "Núñez",
        business_name: "Núñez & Hijos Ltda.",
        quota: 1234567.89,
        status: "active",
        phone: "+57 311 222 3333",
        email: "mj@example.com",
        nit: "900.111.222-1",
        address: "Av. Siempre Viva 742",
        history: [],
        score: 688.5,
        payment_data: { bank: "Banco Azul", account_type: "checking" },
        apn_token: "",
        ecosystem: entity.ecosystemId,
        business_entity: "Ltda.",
        additional_data: { source: "fair", tags: ["a", "b"] },
      });
    });

    it("fills what the lead lacked: null text and numbers, {} objects, [] history", async () => {
      const entity = await givenEntity(target().db);
      const lead = await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        image: null,
        name: null,
        lastname: null,
        businessName: null,
        quota: null,
        phone: null,
        email: null,
        nit: null,
        address: null,
        history: null,
        score: null,
        paymentData: null,
        apnToken: null,
        businessEntity: null,
        additionalData: null,
      });

      const body = await jsonOf(await convert(lead.id, entity.id));

      expect(Object.keys(body)).toEqual(USER_KEYS);
      expect(body).toMatchObject({
        image: null,
        name: null,
        lastname: null,
        business_name: null,
        quota: null,
        status: "active",
        phone: null,
        email: null,
        nit: null,
        address: null,
        history: [],
        score: null,
        payment_data: {},
        apn_token: "",
        ecosystem: entity.ecosystemId,
        business_entity: null,
        additional_data: {},
      });
    });

    it("accepts ids in any letter case and ignores unknown fields", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id);

      const res = await target().fetch(
        CONVERT_PATH,
        conversionRequest(token, {
          lead_id: lead.id.toUpperCase(),
          financial_entity_id: entity.id.toUpperCase(),
          note: "ignored",
        }),
      );

      expect(res.status).toBe(200);
      expect((await jsonOf(res)).ecosystem).toBe(entity.ecosystemId);
    });

    it("accepts a charset parameter on the JSON content type", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);

      const res = await convert(lead.id, entity.id, { "Content-Type": "application/json; charset=utf-8" });

      expect(res.status).toBe(200);
    });

    it("converts a lead already assigned to the same entity", async () => {
      const entity = await givenEntity(target().db);
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, financialEntityId: entity.id });

      expect((await convert(lead.id, entity.id)).status).toBe(200);
    });

    it("marks the lead converted, links it to the client and entity, and writes one audit record", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const before = Date.now();

      const res = await convert(lead.id, entity.id);
      const body = await jsonOf(res);

      const after = await readLead(target().db, lead.id);
      expect(after).toMatchObject({
        status: "converted",
        convertedClientId: body._id,
        financialEntityId: entity.id,
      });
      expect(Date.parse(after!.convertedAt!)).toBeGreaterThanOrEqual(before - 1000);
      const audit = await auditFor(target().db, lead.id);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        leadId: lead.id,
        clientId: body._id,
        financialEntityId: entity.id,
        subject: entity.id,
        requestId: res.headers.get("x-request-id"),
        convertedAt: after!.convertedAt,
      });
    });

    it("replays: the same conversion again returns the same client, flagged, and writes nothing", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const first = await jsonOf(await convert(lead.id, entity.id));
      const leadAfterFirst = await readLead(target().db, lead.id);

      const again = await convert(lead.id, entity.id);

      expect(again.status).toBe(200);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await jsonOf(again)).toEqual(first);
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });
      expect(await readLead(target().db, lead.id)).toEqual(leadAfterFirst);
    });

    it("replays after the entity was suspended: the answer to a conversion that happened", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const first = await jsonOf(await convert(lead.id, entity.id));
      const leadAfterFirst = await readLead(target().db, lead.id);
      await suspendEntity(target().db, entity.id);

      const again = await convert(lead.id, entity.id);

      expect(again.status).toBe(200);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await jsonOf(again)).toEqual(first);
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });
      expect(await readLead(target().db, lead.id)).toEqual(leadAfterFirst);
    });

    it("normalizes what other tools stored on the lead: objects or {}, numbers or null — and answers it again", async () => {
      const entity = await givenEntity(target().db);
      const stored = [
        { additional_data: "not json", payment_data: "null", quota: "abc", score: "high" },
        { additional_data: "[1,2]", payment_data: "[1,2]", quota: "", score: "7 points" },
        { additional_data: '"text"', payment_data: "{not json", quota: "1e", score: "--1" },
      ];
      for (const columns of stored) {
        const leadId = await givenRawLead(target().db, entity.ecosystemId, { name: "Other tool", ...columns });

        const res = await convert(leadId, entity.id);

        expect(res.status, JSON.stringify(columns)).toBe(200);
        const body = await jsonOf(res);
        expect(Object.keys(body)).toEqual(USER_KEYS);
        expect(body).toMatchObject({
          name: "Other tool",
          quota: null,
          score: null,
          payment_data: {},
          additional_data: {},
          history: [],
        });
        const replay = await convert(leadId, entity.id);
        expect(replay.status).toBe(200);
        expect(await jsonOf(replay)).toEqual(body);
      }
    });

    it("keeps stored values that fit: JSON objects and numbers, whatever tool wrote them", async () => {
      const entity = await givenEntity(target().db);
      const leadId = await givenRawLead(target().db, entity.ecosystemId, {
        additional_data: '{"a":{"b":[1,"x"]}}',
        payment_data: "{}",
        quota: 12,
        score: 3.5,
      });

      const body = await jsonOf(await convert(leadId, entity.id));

      expect(body).toMatchObject({ quota: 12, score: 3.5, payment_data: {}, additional_data: { a: { b: [1, "x"] } } });
    });

    it("tags every response with an X-Request-Id, echoing a well-formed one from the caller", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);

      const res = await convert(lead.id, entity.id, { "X-Request-Id": "caller-trace-123" });

      expect(res.headers.get("x-request-id")).toBe("caller-trace-123");
      expect((await auditFor(target().db, lead.id))[0]?.requestId).toBe("caller-trace-123");
    });
  });
