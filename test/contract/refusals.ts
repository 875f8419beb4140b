import { describe, expect, it } from "vitest";
import { loadSeed } from "../../src/db/seed";
import {
  givenClient,
  givenConvertibleLead,
  givenEcosystem,
  givenEntity,
  givenLead,
  readLead,
  writesFor,
} from "../support/builders";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { expectProblem } from "./expect";
import type { ContractSuite } from "./target";

/** Every refusal of the outcome table that comes from the request or the data, not the token. */
export const refusals: ContractSuite = (target) => {
  const send = async (entityId: string, body: unknown, headers: Record<string, string> = {}) =>
    target().fetch(CONVERT_PATH, conversionRequest(await tokenFor(entityId), body, headers));
  const convert = (leadId: string, entityId: string) =>
    send(entityId, { lead_id: leadId, financial_entity_id: entityId });

  describe("400 validation_error", () => {
    it("for malformed JSON", async () => {
      const entity = await givenEntity(target().db);
      const body = await expectProblem(await send(entity.id, '{"lead_id": '), 400, "validation_error");
      expect(body.errors).toEqual([{ path: "", message: "Malformed JSON" }]);
    });

    it("for a missing field, naming it", async () => {
      const entity = await givenEntity(target().db);
      const body = await expectProblem(
        await send(entity.id, { financial_entity_id: entity.id }),
        400,
        "validation_error",
      );
      expect(body.errors).toEqual([{ path: "lead_id", message: "lead_id is required" }]);
    });

    it("for ids that are not UUIDs or not strings, naming each", async () => {
      const entity = await givenEntity(target().db);
      const body = await expectProblem(
        await send(entity.id, { lead_id: "not-a-uuid", financial_entity_id: 42 }),
        400,
        "validation_error",
      );
      expect(body.errors).toEqual([
        { path: "lead_id", message: "lead_id must be a UUID" },
        { path: "financial_entity_id", message: "financial_entity_id must be a string" },
      ]);
    });

    it("for a body that is not a JSON object", async () => {
      const entity = await givenEntity(target().db);
      for (const raw of ["[]", "null", '"text"', "42"]) {
        const body = await expectProblem(await send(entity.id, raw), 400, "validation_error");
        expect(body.errors).toEqual([{ path: "", message: "The body must be a JSON object" }]);
      }
    });

    it("for an empty body", async () => {
      const entity = await givenEntity(target().db);
      await expectProblem(await send(entity.id, ""), 400, "validation_error");
    });
  });

  describe("403 financial_entity_suspended", () => {
    it("when the entity exists but is suspended, and nothing is written", async () => {
      const entity = await givenEntity(target().db, { status: "suspended" });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId });

      await expectProblem(await convert(lead.id, entity.id), 403, "financial_entity_suspended");
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });
  });

  describe("404", () => {
    it("financial_entity_not_found when no such entity exists", async () => {
      const ecosystem = await givenEcosystem(target().db);
      const lead = await givenLead(target().db, { ecosystemId: ecosystem.id });

      await expectProblem(await convert(lead.id, crypto.randomUUID()), 404, "financial_entity_not_found");
    });

    it("lead_not_found when no such lead exists", async () => {
      const entity = await givenEntity(target().db);

      await expectProblem(await convert(crypto.randomUUID(), entity.id), 404, "lead_not_found");
    });

    it("lead_not_found, identical to a missing lead, when the lead belongs to another ecosystem", async () => {
      const entity = await givenEntity(target().db);
      const foreign = await givenLead(target().db, { ecosystemId: (await givenEcosystem(target().db)).id });

      const missing = await expectProblem(await convert(crypto.randomUUID(), entity.id), 404, "lead_not_found");
      const other = await expectProblem(await convert(foreign.id, entity.id), 404, "lead_not_found");

      expect({ ...other, request_id: null }).toEqual({ ...missing, request_id: null });
      expect(await writesFor(target().db, foreign.id)).toEqual({ clients: 0, audits: 0 });
    });
  });

  describe("409", () => {
    it("lead_assigned_to_other_entity when another entity of the ecosystem holds the lead", async () => {
      const owner = await givenEntity(target().db);
      const other = await givenEntity(target().db, { ecosystemId: owner.ecosystemId });
      const lead = await givenLead(target().db, { ecosystemId: owner.ecosystemId, financialEntityId: owner.id });

      await expectProblem(await convert(lead.id, other.id), 409, "lead_assigned_to_other_entity");
      expect(await readLead(target().db, lead.id)).toEqual(lead);
    });

    it("lead_already_converted when another entity already made the lead its client", async () => {
      const { entity: first, lead } = await givenConvertibleLead(target().db);
      const second = await givenEntity(target().db, { ecosystemId: first.ecosystemId });
      expect((await convert(lead.id, first.id)).status).toBe(200);

      await expectProblem(await convert(lead.id, second.id), 409, "lead_already_converted");
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });
    });

    it("client_already_exists, with existing_user_id, for the same NIT however it is written", async () => {
      const entity = await givenEntity(target().db);
      const existing = await givenClient(target().db, {
        financialEntityId: entity.id,
        ecosystemId: entity.ecosystemId,
        nit: "900.123.456-8 ab",
      });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: " 9001234568-AB" });

      const body = await expectProblem(await convert(lead.id, entity.id), 409, "client_already_exists");

      expect(body.existing_user_id).toBe(existing.id);
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
      expect(await readLead(target().db, lead.id)).toEqual(lead);
    });

    it("client_already_exists for a NIT written with any Unicode separator or compatibility form", async () => {
      const entity = await givenEntity(target().db);
      const existing = await givenClient(target().db, {
        financialEntityId: entity.id,
        ecosystemId: entity.ecosystemId,
        nit: "900.123.456-8",
      });
      const variants = {
        "no-break space": "900\u00a0123\u00a0456\u00a0-\u00a08",
        tab: "900\t123\t456\t-8",
        "en dash": "900.123.456\u20138",
        "hyphen U+2010": "900123456\u20108",
        "non-breaking hyphen U+2011": "900123456\u20118",
        "minus sign U+2212": "900 123 456 \u2212 8",
        "full-width digits and hyphen": "\uff19\uff10\uff10.\uff11\uff12\uff13.\uff14\uff15\uff16\uff0d\uff18",
        "ideographic space": "900\u3000123\u3000456",
        apostrophes: "900'123'456-8",
        "zero-width space": "900\u200b123\u200b456",
        "narrow no-break space and slash": "900\u202f123/456",
      };
      for (const [name, nit] of Object.entries(variants)) {
        const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit });

        const res = await convert(lead.id, entity.id);

        expect(res.status, name).toBe(409);
        const body = await expectProblem(res, 409, "client_already_exists");
        expect(body.existing_user_id, name).toBe(existing.id);
        expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
      }
    });

    it("client_already_exists when the seed loader wrote both NITs (`ÑAB.1`, `ñab 1`): the loader and the API use one key", async () => {
      const entity = await givenEntity(target().db);
      const clientId = crypto.randomUUID();
      const leadId = crypto.randomUUID();
      await loadSeed(target().db, {
        users: [{ id: clientId, financial_entity_id: entity.id, nit: "ÑAB.1" }],
        leads: [{ id: leadId, ecosystem_id: entity.ecosystemId, nit: "ñab 1" }],
      });

      const body = await expectProblem(await convert(leadId, entity.id), 409, "client_already_exists");

      expect(body.existing_user_id).toBe(clientId);
    });

    it("but a NIT held by a client of another entity is no conflict", async () => {
      const entity = await givenEntity(target().db);
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      await givenClient(target().db, {
        financialEntityId: other.id,
        ecosystemId: entity.ecosystemId,
        nit: "800.100.200-8",
      });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: "800100200" });

      expect((await convert(lead.id, entity.id)).status).toBe(200);
    });

    it("and leads without a NIT never conflict", async () => {
      const entity = await givenEntity(target().db);
      await givenClient(target().db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId, nit: "" });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: "" });

      expect((await convert(lead.id, entity.id)).status).toBe(200);
    });
  });

  describe("413 payload_too_large", () => {
    it("for a body over 16 KiB", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const body = { lead_id: lead.id, financial_entity_id: entity.id, padding: "x".repeat(16 * 1024) };

      await expectProblem(await send(entity.id, body), 413, "payload_too_large");
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("but accepts a body of exactly 16 KiB", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const base = JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id, padding: "" });
      const exact = base.replace('"padding":""', `"padding":"${"x".repeat(16 * 1024 - base.length)}"`);
      expect(new TextEncoder().encode(exact).byteLength).toBe(16 * 1024);

      expect((await send(entity.id, exact)).status).toBe(200);
    });
  });

  describe("415 unsupported_media_type", () => {
    it("for a body that is not declared as JSON", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const body = { lead_id: lead.id, financial_entity_id: entity.id };

      for (const type of [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "application/vnd.api+json",
      ]) {
        await expectProblem(await send(entity.id, body, { "Content-Type": type }), 415, "unsupported_media_type");
      }
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("for a body without a content type", async () => {
      const entity = await givenEntity(target().db);
      const token = await tokenFor(entity.id);
      const res = await target().fetch(CONVERT_PATH, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
        body: new TextEncoder().encode("{}"),
      });
      await expectProblem(res, 415, "unsupported_media_type");
    });
  });

  describe("routing", () => {
    it("answers an unknown path with a 404 problem", async () => {
      await expectProblem(await target().fetch("/nope"), 404, "not_found");
    });

    it("answers another method on the endpoint with a 405 problem and Allow", async () => {
      for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
        const res = await target().fetch(CONVERT_PATH, { method });
        expect(res.headers.get("allow")).toBe("POST");
        await expectProblem(res, 405, "method_not_allowed");
      }
    });
  });
};
