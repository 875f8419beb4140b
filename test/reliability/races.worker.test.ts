import { count, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findInvariantViolations } from "../../src/db/invariants";
import { clients, leadConversions } from "../../src/db/schema";
import { givenConvertibleLead, givenEntity, givenManyLeads, writesFor } from "../support/builders";
import { inPool } from "../support/pool";
import { LOAD_TEST_BUDGETS } from "../support/rate-limits";
import { CONVERT_PATH, conversionRequest, jsonOf } from "../support/requests";
import { type HttpTarget, startNodeTarget, startWorkerTarget } from "../support/targets";
import { tokenFor } from "../support/tokens";

const TARGETS: [string, () => Promise<HttpTarget>][] = [
  // 2,000 conversions by one token are far past its 600 a minute: these runs set their own budget.
  ["Node entry", () => startNodeTarget(LOAD_TEST_BUDGETS.env)],
  ["Worker in workerd", () => startWorkerTarget({ vars: LOAD_TEST_BUDGETS.env, bindings: LOAD_TEST_BUDGETS.bindings })],
];

for (const [name, start] of TARGETS) {
  describe(`races — ${name}`, () => {
    let target: HttpTarget;
    beforeAll(async () => {
      target = await start();
    });
    afterAll(() => target?.close());
    afterEach(async () => {
      expect(await findInvariantViolations(target.db)).toEqual([]);
    });

    const convert = async (leadId: string, entityId: string, token?: string) => {
      const res = await target.fetch(
        CONVERT_PATH,
        conversionRequest(token ?? (await tokenFor(entityId)), { lead_id: leadId, financial_entity_id: entityId }),
      );
      return {
        status: res.status,
        body: await jsonOf(res),
        replayed: res.headers.get("idempotent-replayed") === "true",
      };
    };

    it("64 simultaneous identical conversions: one client, 64 × 200 with the same _id", async () => {
      const { entity, lead } = await givenConvertibleLead(target.db);
      const token = await tokenFor(entity.id);

      const results = await Promise.all(Array.from({ length: 64 }, () => convert(lead.id, entity.id, token)));

      expect(results.map((r) => r.status)).toEqual(Array(64).fill(200));
      expect(new Set(results.map((r) => r.body._id)).size).toBe(1);
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(await writesFor(target.db, lead.id)).toEqual({ clients: 1, audits: 1 });
    });

    it("two entities racing 32 requests each for one lead: one gets 32 × 200 with one _id, the other 32 × 409", async () => {
      const { entity: a, lead } = await givenConvertibleLead(target.db);
      const b = await givenEntity(target.db, { ecosystemId: a.ecosystemId });
      const [tokenA, tokenB] = await Promise.all([tokenFor(a.id), tokenFor(b.id)]);

      const attempts = Array.from({ length: 64 }, (_, i) =>
        i % 2 === 0 ? { entityId: a.id, token: tokenA } : { entityId: b.id, token: tokenB },
      );
      const results = await Promise.all(
        attempts.map(({ entityId, token }) => convert(lead.id, entityId, token).then((r) => ({ entityId, ...r }))),
      );

      const statusesOf = (entityId: string) => results.filter((r) => r.entityId === entityId).map((r) => r.status);
      const winner = statusesOf(a.id)[0] === 200 ? a.id : b.id;
      const loser = winner === a.id ? b.id : a.id;
      expect(statusesOf(winner)).toEqual(Array(32).fill(200));
      expect(statusesOf(loser)).toEqual(Array(32).fill(409));
      expect(new Set(results.filter((r) => r.status === 200).map((r) => r.body._id)).size).toBe(1);
      expect(await writesFor(target.db, lead.id)).toEqual({ clients: 1, audits: 1 });
    });

    it("2,000 distinct conversions at concurrency 32: 2,000 clients, 2,000 audit records, no error", async () => {
      const entity = await givenEntity(target.db);
      const leadIds = await givenManyLeads(target.db, entity.ecosystemId, 2_000);
      const token = await tokenFor(entity.id);

      const results = await inPool(leadIds, 32, (leadId) => convert(leadId, entity.id, token));

      expect(results.filter((r) => r.status !== 200 || r.replayed)).toEqual([]);
      expect(new Set(results.map((r) => r.body._id)).size).toBe(2_000);
      const [made] = await target.db
        .select({ n: count() })
        .from(clients)
        .where(eq(clients.financialEntityId, entity.id));
      const [audited] = await target.db
        .select({ n: count() })
        .from(leadConversions)
        .where(eq(leadConversions.financialEntityId, entity.id));
      expect({ clients: made!.n, audits: audited!.n }).toEqual({ clients: 2_000, audits: 2_000 });
    }, 120_000);
  });
}
