import { describe, expect, it } from "vitest";
import { givenConvertibleLead, givenEntity, writesFor } from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf } from "../support/requests";
import { tokenFor } from "../support/tokens";
import type { ContractSuite } from "./target";

/** The concurrency promise: retries and races never make a second client. */
export const races: ContractSuite = (target) =>
  describe("concurrency", () => {
    it("50 simultaneous identical conversions make one client and 50 × 200 with the same _id", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const init = conversionRequest(await tokenFor(entity.id), { lead_id: lead.id, financial_entity_id: entity.id });

      const responses = await Promise.all(Array.from({ length: 50 }, () => target().fetch(CONVERT_PATH, init)));

      expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
      const ids = new Set(await Promise.all(responses.map(async (r) => (await jsonOf(r))._id)));
      expect(ids.size).toBe(1);
      expect(responses.filter((r) => r.headers.get("idempotent-replayed") === null)).toHaveLength(1);
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });
    });

    it("two entities racing for one unassigned lead: one 200, one 409", async () => {
      const { entity: a, lead } = await givenConvertibleLead(target().db);
      const b = await givenEntity(target().db, { ecosystemId: a.ecosystemId });
      const attempt = async (entityId: string) =>
        target().fetch(
          CONVERT_PATH,
          conversionRequest(await tokenFor(entityId), { lead_id: lead.id, financial_entity_id: entityId }),
        );

      const statuses = (await Promise.all([attempt(a.id), attempt(b.id)])).map((r) => r.status).sort();

      expect(statuses).toEqual([200, 409]);
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });
    });
  });
