import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../../contract/expect";
import { givenApiKey } from "../../support/api-keys";
import { givenEntity, givenManyLeads } from "../../support/builders";
import { awayFromWindowEdge } from "../../support/rate-limits";
import { CONVERT_PATH, conversionRequest } from "../../support/requests";
import { type HttpTarget, startNodeTarget, startWorkerTarget } from "../../support/targets";
import { tokenFor } from "../../support/tokens";

const BUDGET = { conversions: 4, requests: 3 };

/** The same checks on each runtime, with the runtime's own limiter. */
function rateLimitSuite(
  name: string,
  start: () => Promise<HttpTarget & { dbRequests?: () => Promise<number>; resetDb?: () => Promise<void> }>,
) {
  describe(`rate limits — ${name}`, () => {
    let target: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      target = await start();
    }, 90_000);
    afterAll(async () => {
      await target?.close();
    });

    it("a credential over its conversions budget gets 429 with Retry-After and RateLimit-Policy, others are unaffected", async () => {
      const noisy = await givenEntity(target.db);
      const quiet = await givenEntity(target.db);
      const noisyLeads = await givenManyLeads(target.db, noisy.ecosystemId, BUDGET.conversions * 10);
      const quietLeads = await givenManyLeads(target.db, quiet.ecosystemId, BUDGET.conversions);
      const noisyKey = await givenApiKey(target.db, noisy.id);
      const quietToken = await tokenFor(quiet.id);
      await awayFromWindowEdge(20);

      const noisyStatuses: number[] = [];
      const quietStatuses: number[] = [];
      let over: Response | undefined;
      for (let i = 0; i < noisyLeads.length; i++) {
        const res = await target.fetch(
          CONVERT_PATH,
          conversionRequest(noisyKey.key, { lead_id: noisyLeads[i], financial_entity_id: noisy.id }),
        );
        noisyStatuses.push(res.status);
        if (res.status === 429 && !over) over = res;
        else await res.arrayBuffer();
        if (i % 10 === 0) {
          const calm = await target.fetch(
            CONVERT_PATH,
            conversionRequest(quietToken, { lead_id: quietLeads[i / 10], financial_entity_id: quiet.id }),
          );
          quietStatuses.push(calm.status);
          await calm.arrayBuffer();
        }
      }
      expect(quietStatuses).toEqual(Array(BUDGET.conversions).fill(200));
      expect(noisyStatuses.slice(0, BUDGET.conversions)).toEqual(Array(BUDGET.conversions).fill(200));
      expect(noisyStatuses.slice(BUDGET.conversions)).toEqual(Array(BUDGET.conversions * 9).fill(429));
      expect(Number(over!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(over!.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      expect(over!.headers.get("ratelimit-policy")).toBe(`"conversions";q=${BUDGET.conversions};w=60`);
      await expectProblem(over!, 429, "rate_limited");
    });

    it("429 is answered before the database", async () => {
      if (!target.dbRequests) return;
      const entity = await givenEntity(target.db);
      const leads = await givenManyLeads(target.db, entity.ecosystemId, BUDGET.conversions + 1);
      const token = await tokenFor(entity.id);
      await awayFromWindowEdge(10);
      for (const leadId of leads.slice(0, BUDGET.conversions)) {
        await (
          await target.fetch(
            CONVERT_PATH,
            conversionRequest(token, { lead_id: leadId, financial_entity_id: entity.id }),
          )
        ).arrayBuffer();
      }
      await target.resetDb!();
      const res = await target.fetch(
        CONVERT_PATH,
        conversionRequest(token, { lead_id: leads.at(-1), financial_entity_id: entity.id }),
      );
      await expectProblem(res, 429, "rate_limited");
      expect(await target.dbRequests()).toBe(0);
    });

    it("key management has the other budget", async () => {
      const entity = await givenEntity(target.db);
      const jwt = await tokenFor(entity.id, { scope: "keys:manage" });
      await awayFromWindowEdge(10);
      const statuses = [];
      for (let i = 0; i < BUDGET.requests + 2; i++) {
        const res = await target.fetch("/api-keys", { headers: { Authorization: `Bearer ${jwt}` } });
        statuses.push(res.status);
        if (res.status === 429)
          expect(res.headers.get("ratelimit-policy")).toBe(`"requests";q=${BUDGET.requests};w=60`);
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([...Array(BUDGET.requests).fill(200), 429, 429]);
    });
  });
}

const budgetEnv = {
  RATE_LIMIT_CONVERSIONS_PER_MINUTE: String(BUDGET.conversions),
  RATE_LIMIT_REQUESTS_PER_MINUTE: String(BUDGET.requests),
};

rateLimitSuite("Node entry over HTTP (in-process limiter)", () => startNodeTarget(budgetEnv));

// The Worker in workerd with wrangler.toml's [[ratelimits]] bindings, given this test's budgets:
// what `wrangler dev` simulates locally (Miniflare's rate limiter: per key, fixed windows on the clock).
rateLimitSuite("Worker in workerd (Workers Rate Limiting binding, as wrangler dev simulates it)", async () => {
  const target = await startWorkerTarget({
    vars: budgetEnv,
    bindings: {
      CONVERSIONS_RATE_LIMITER: {
        type: "ratelimit",
        namespace_id: "1001",
        simple: { limit: BUDGET.conversions, period: 60 },
      },
      REQUESTS_RATE_LIMITER: {
        type: "ratelimit",
        namespace_id: "1002",
        simple: { limit: BUDGET.requests, period: 60 },
      },
    },
  });
  return {
    ...target,
    dbRequests: async () => target.server.pipelineRequests(),
    resetDb: async () => target.server.resetStats(),
  };
});

describe("rate limits — the Worker counts with its binding, not in its isolate", () => {
  let target: Awaited<ReturnType<typeof startWorkerTarget>>;
  beforeAll(async () => {
    // No RATE_LIMIT_* variables: an in-isolate count would allow 600; only the binding's limit of 2 can refuse the third.
    target = await startWorkerTarget({
      bindings: {
        CONVERSIONS_RATE_LIMITER: { type: "ratelimit", namespace_id: "1001", simple: { limit: 2, period: 60 } },
      },
    });
  }, 90_000);
  afterAll(async () => {
    await target?.close();
  });

  it("the third conversion of one credential is refused by the binding", async () => {
    const entity = await givenEntity(target.db);
    const leads = await givenManyLeads(target.db, entity.ecosystemId, 3);
    const token = await tokenFor(entity.id);
    await awayFromWindowEdge(10);
    const statuses = [];
    for (const leadId of leads) {
      const res = await target.fetch(
        CONVERT_PATH,
        conversionRequest(token, { lead_id: leadId, financial_entity_id: entity.id }),
      );
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});
