import { describe, expect, it } from "vitest";
import { givenClient, givenConvertibleLead, givenEntity, givenLead } from "../support/builders";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { type ContractSuite, roundTripsOf } from "./target";

/**
 * Once a request is valid and authorized, the conversion is exactly one
 * database round trip on every path; requests refused before make none.
 */
export const roundTrips: ContractSuite = (target) =>
  describe("database round trips per request", () => {
    const measure = async (
      entityId: string,
      body: unknown,
      token?: string | null,
      headers?: Record<string, string>,
    ) => {
      const credential = token === undefined ? await tokenFor(entityId) : token;
      return roundTripsOf(target(), () => target().fetch(CONVERT_PATH, conversionRequest(credential, body, headers)));
    };
    const convert = (leadId: string, entityId: string) =>
      measure(entityId, { lead_id: leadId, financial_entity_id: entityId });

    it("one for GET /readyz, which asks the database, then none within the second; none for GET /healthz", async () => {
      // Another suite may have asked within the last second: after a second has passed, the next call asks.
      await new Promise((resolve) => setTimeout(resolve, 1_050));
      expect(await roundTripsOf(target(), () => target().fetch("/readyz"))).toEqual({ status: 200, round_trips: 1 });
      expect(await roundTripsOf(target(), () => target().fetch("/readyz"))).toEqual({ status: 200, round_trips: 0 });
      expect(await roundTripsOf(target(), () => target().fetch("/healthz"))).toEqual({ status: 200, round_trips: 0 });
    });

    it("one for a new client, and one for its replay", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      expect(await convert(lead.id, entity.id)).toEqual({ status: 200, round_trips: 1 });
      expect(await convert(lead.id, entity.id)).toEqual({ status: 200, round_trips: 1 });
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
      await givenClient(db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId, nit: "899.999.068-1" });
      const clash = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "NIT 899999068" });

      expect(await convert(crypto.randomUUID(), suspended.id)).toEqual({ status: 403, round_trips: 1 });
      expect(await convert(crypto.randomUUID(), crypto.randomUUID())).toEqual({ status: 404, round_trips: 1 });
      expect(await convert(crypto.randomUUID(), entity.id)).toEqual({ status: 404, round_trips: 1 });
      expect(await convert(held.id, entity.id)).toEqual({ status: 409, round_trips: 1 });
      expect(await convert(taken.lead.id, rival.id)).toEqual({ status: 409, round_trips: 1 });
      expect(await convert(clash.id, entity.id)).toEqual({ status: 409, round_trips: 1 });
    });

    it("none for requests refused before the database", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const body = { lead_id: lead.id, financial_entity_id: entity.id };
      const other = crypto.randomUUID();

      expect(await measure(entity.id, body, null)).toEqual({ status: 401, round_trips: 0 });
      expect(await measure(entity.id, { lead_id: "x" })).toEqual({ status: 400, round_trips: 0 });
      expect(await measure(entity.id, body, undefined, { "Content-Type": "text/plain" })).toEqual({
        status: 415,
        round_trips: 0,
      });
      expect(await measure(entity.id, { ...body, pad: "x".repeat(17_000) })).toEqual({ status: 413, round_trips: 0 });
      expect(await measure(entity.id, body, await tokenFor(other))).toEqual({ status: 403, round_trips: 0 });
      expect(await measure(entity.id, body, await tokenFor(entity.id, { scope: "x" }))).toEqual({
        status: 403,
        round_trips: 0,
      });
    });
  });
