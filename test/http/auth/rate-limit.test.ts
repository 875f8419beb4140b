import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { createApp } from "../../../src/app";
import { parseEnv } from "../../../src/env";
import { createInProcessRateLimiter, DEFAULT_RATE_LIMITS, type RateLimits } from "../../../src/http/auth";
import { rateLimitPolicy } from "../../../src/http/auth/rate-limit";
import { expectProblem } from "../../contract/expect";
import { givenApiKey } from "../../support/api-keys";
import { givenConvertibleLead, givenEntity, givenManyLeads } from "../../support/builders";
import { countingDatabase, createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { expectDocumentedResponse } from "../../support/openapi";
import { awayFromWindowEdge } from "../../support/rate-limits";
import { CONVERT_PATH, conversionRequest } from "../../support/requests";
import { TEST_SECRET, tokenFor } from "../../support/tokens";

const MINUTE = 60_000;
// Mid-window: the windows are aligned to the clock, and these tests must not straddle one.
const T0 = Date.UTC(2026, 10, 29, 12, 0, 15);

describe("the in-process limiter", () => {
  it("allows the limit per window, refuses the next with the seconds left, and starts again in the next window", async () => {
    let now = T0;
    const limiter = createInProcessRateLimiter({ name: "conversions", limit: 3, now: () => now });
    for (let i = 0; i < 3; i++) expect((await limiter.take("a")).allowed).toBe(true);
    expect(await limiter.take("a")).toEqual({ allowed: false, retryAfterSeconds: 45 });
    expect((await limiter.take("b")).allowed).toBe(true);
    now = T0 + 44_500;
    expect(await limiter.take("a")).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now = T0 + 45_000;
    expect((await limiter.take("a")).allowed).toBe(true);
  });

  it("counts a cost of several units (bulk items count one each), allowed while below the limit", async () => {
    const limiter = createInProcessRateLimiter({ name: "conversions", limit: 10, now: () => T0 });
    expect((await limiter.take("a", 8)).allowed).toBe(true);
    expect((await limiter.take("a", 5)).allowed).toBe(true);
    expect((await limiter.take("a", 1)).allowed).toBe(false);
  });

  it("remembers a bounded number of identities below their limit, the oldest forgotten first", async () => {
    const limiter = createInProcessRateLimiter({ name: "requests", limit: 2, maxIdentities: 2, now: () => T0 });
    await limiter.take("a");
    await limiter.take("b");
    await limiter.take("c");
    // "a" was forgotten: it may use its whole budget again; "c" was not.
    expect((await limiter.take("a")).allowed).toBe(true);
    expect((await limiter.take("a")).allowed).toBe(true);
    expect((await limiter.take("c")).allowed).toBe(true);
    expect((await limiter.take("c")).allowed).toBe(false);
  });

  it("never forgets a throttled identity before its window turns, however many others arrive", async () => {
    let now = T0;
    const limiter = createInProcessRateLimiter({ name: "requests", limit: 1, now: () => now });
    await limiter.take("throttled");
    expect((await limiter.take("throttled")).allowed).toBe(false);
    for (let i = 0; i < 100_001; i++) await limiter.take(`other-${i}`);
    expect((await limiter.take("throttled")).allowed).toBe(false);
    now = T0 + MINUTE;
    expect((await limiter.take("throttled")).allowed).toBe(true);
  });

  it("refuses a budget that is not a positive integer", () => {
    expect(() => createInProcessRateLimiter({ name: "requests", limit: 0 })).toThrow(RangeError);
  });
});

describe("the default budgets are the spec's", () => {
  it("600 conversions and 1,200 other requests a minute", () => {
    expect(DEFAULT_RATE_LIMITS).toEqual({ conversions: 600, requests: 1_200 });
  });

  it("in the Node entry's environment, and settable there", () => {
    const env = { TURSO_DATABASE_URL: "file:x.db", JWT_SECRET: TEST_SECRET };
    expect(parseEnv(env).rateLimits).toEqual({
      conversions: 600,
      requests: 1_200,
      entityConversions: 1_800,
      entityRequests: 3_600,
      authFailures: 30,
    });
    expect(
      parseEnv({ ...env, RATE_LIMIT_CONVERSIONS_PER_MINUTE: "7", RATE_LIMIT_REQUESTS_PER_MINUTE: "9" }).rateLimits,
    ).toEqual({
      conversions: 7,
      requests: 9,
      entityConversions: 21,
      entityRequests: 27,
      authFailures: 30,
    });
    expect(
      parseEnv({
        ...env,
        RATE_LIMIT_ENTITY_CONVERSIONS_PER_MINUTE: "5",
        RATE_LIMIT_ENTITY_REQUESTS_PER_MINUTE: "6",
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: "4",
      }).rateLimits,
    ).toMatchObject({ conversions: 600, entityConversions: 5, entityRequests: 6, authFailures: 4 });
    expect(() => parseEnv({ ...env, RATE_LIMIT_ENTITY_REQUESTS_PER_MINUTE: "0" })).toThrow(
      /RATE_LIMIT_ENTITY_REQUESTS_PER_MINUTE/,
    );
    expect(parseEnv(env).trustProxy).toBe(false);
    expect(parseEnv({ ...env, TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(() => parseEnv({ ...env, TRUST_PROXY: "yes" })).toThrow(/TRUST_PROXY/);
    expect(() => parseEnv({ ...env, RATE_LIMIT_CONVERSIONS_PER_MINUTE: "0" })).toThrow(
      /RATE_LIMIT_CONVERSIONS_PER_MINUTE/,
    );
    expect(() => parseEnv({ ...env, RATE_LIMIT_REQUESTS_PER_MINUTE: "lots" })).toThrow(
      /RATE_LIMIT_REQUESTS_PER_MINUTE/,
    );
  });

  it("in wrangler.toml's [[ratelimits]] bindings, per minute", () => {
    const config = unstable_readConfig({ config: "wrangler.toml" });
    const byName = Object.fromEntries(
      config.ratelimits.map((r: { name: string; simple: unknown }) => [r.name, r.simple]),
    );
    expect(byName).toEqual({
      CONVERSIONS_RATE_LIMITER: { limit: 600, period: 60 },
      REQUESTS_RATE_LIMITER: { limit: 1_200, period: 60 },
      ENTITY_CONVERSIONS_RATE_LIMITER: { limit: 1_800, period: 60 },
      ENTITY_REQUESTS_RATE_LIMITER: { limit: 3_600, period: 60 },
      // One less than the 30 announced: see wrangler.toml.
      AUTH_FAILURES_RATE_LIMITER: { limit: 29, period: 60 },
    });
  });

  it("in an app built without budgets", async () => {
    const database = await createTestDatabase();
    try {
      const app = createApp({ db: database.db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
      const entity = await givenEntity(database.db);
      const leads = await givenManyLeads(database.db, entity.ecosystemId, 601);
      const token = await tokenFor(entity.id);
      await awayFromWindowEdge(30);
      const statuses: number[] = [];
      for (const leadId of leads) {
        const res = await app.request(
          CONVERT_PATH,
          conversionRequest(token, { lead_id: leadId, financial_entity_id: entity.id }),
        );
        statuses.push(res.status);
        if (res.status === 429) expect(res.headers.get("ratelimit-policy")).toBe('"conversions";q=600;w=60');
      }
      expect(statuses.slice(0, 600)).toEqual(Array(600).fill(200));
      expect(statuses[600]).toBe(429);
    } finally {
      database.close();
    }
  }, 60_000);
});

describe("rate limits in the app", () => {
  let database: TestDatabase;
  let counted: ReturnType<typeof countingDatabase>;
  let app: ReturnType<typeof createApp>;
  let limits: RateLimits;

  beforeAll(async () => {
    database = await createTestDatabase();
    counted = countingDatabase(database.db.$client);
  });
  afterAll(() => database.close());

  /** A fresh app, so that every test starts with fresh budgets on a clock fixed mid-window. */
  const freshApp = (budgets = { conversions: 3, requests: 2 }) => {
    limits = {
      conversions: createInProcessRateLimiter({ name: "conversions", limit: budgets.conversions, now: () => T0 }),
      requests: createInProcessRateLimiter({ name: "requests", limit: budgets.requests, now: () => T0 }),
    };
    app = createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: silentLogger(), rateLimits: limits });
  };

  const convert = async (credential: string | null, body: unknown, headers: Record<string, string> = {}) => {
    counted.reset();
    const res = await app.request(CONVERT_PATH, conversionRequest(credential, body, headers));
    await expectDocumentedResponse("POST", CONVERT_PATH, res);
    return { res, status: res.status, dbCalls: counted.calls() };
  };

  it("a bulk call spends one conversion per lead: after 3 + 3 leads a budget of 5 is spent, with no database request", async () => {
    freshApp({ conversions: 5, requests: 2 });
    const entity = await givenEntity(database.db);
    const leads = await givenManyLeads(database.db, entity.ecosystemId, 7);
    const token = await tokenFor(entity.id);
    const bulk = async (leadIds: string[]) => {
      counted.reset();
      const res = await app.request(
        "/turn-leads-into-clients",
        conversionRequest(token, { financial_entity_id: entity.id, lead_ids: leadIds }),
      );
      await expectDocumentedResponse("POST", "/turn-leads-into-clients", res);
      return { res, dbCalls: counted.calls() };
    };

    // Allowed while the count is below the budget (as the Workers binding counts): 0 → 3, then 3 → 6.
    expect((await bulk(leads.slice(0, 3))).res.status).toBe(200);
    expect((await bulk(leads.slice(3, 6))).res.status).toBe(200);
    // Counted per call, this third call would be the third of five; counted per lead, the budget is spent.
    const over = await bulk(leads.slice(6, 7));
    expect(over.res.headers.get("ratelimit-policy")).toBe('"conversions";q=5;w=60');
    await expectProblem(over.res, 429, "rate_limited");
    expect(over.dbCalls).toBe(0);
  });

  it("over budget: 429 rate_limited with Retry-After and RateLimit-Policy, and no database request", async () => {
    freshApp();
    const entity = await givenEntity(database.db);
    const leads = await givenManyLeads(database.db, entity.ecosystemId, 4);
    const token = await tokenFor(entity.id);
    for (const leadId of leads.slice(0, 3))
      expect((await convert(token, { lead_id: leadId, financial_entity_id: entity.id })).status).toBe(200);
    const over = await convert(token, { lead_id: leads[3], financial_entity_id: entity.id });
    expect(over.res.headers.get("retry-after")).toBe("45");
    expect(over.res.headers.get("ratelimit-policy")).toBe('"conversions";q=3;w=60');
    const problem = await expectProblem(over.res, 429, "rate_limited");
    expect(problem.detail).toBe("This credential is over its budget of 3 conversions per minute.");
    expect(over.dbCalls).toBe(0);
  });

  it("is checked right after authentication: 401 before 429, 429 before 415 and 400", async () => {
    freshApp({ conversions: 1, requests: 1 });
    const { entity, lead } = await givenConvertibleLead(database.db);
    const token = await tokenFor(entity.id);
    const body = { lead_id: lead.id, financial_entity_id: entity.id };
    expect((await convert(token, body)).status).toBe(200);
    expect((await convert(null, body)).status).toBe(401);
    expect((await convert(`${token}x`, body)).status).toBe(401);
    const wrongType = await convert(token, body, { "Content-Type": "text/plain" });
    expect(wrongType.status).toBe(429);
    expect(wrongType.dbCalls).toBe(0);
    expect((await convert(token, { lead_id: "x" })).status).toBe(429);
    // 413 still comes first.
    expect((await convert(token, { ...body, pad: "x".repeat(17_000) })).status).toBe(413);
  });

  it("each credential has its own budget: another sub, another entity, a key", async () => {
    freshApp({ conversions: 1, requests: 1 });
    const entity = await givenEntity(database.db);
    const leads = await givenManyLeads(database.db, entity.ecosystemId, 4);
    const key = await givenApiKey(database.db, entity.id);
    const ask = (credential: string, leadId: string) =>
      convert(credential, { lead_id: leadId, financial_entity_id: entity.id });
    expect(
      (await ask(await tokenFor(entity.id, { sub: "svc-a", financial_entity_id: entity.id }), leads[0]!)).status,
    ).toBe(200);
    expect(
      (await ask(await tokenFor(entity.id, { sub: "svc-a", financial_entity_id: entity.id }), leads[1]!)).status,
    ).toBe(429);
    expect(
      (await ask(await tokenFor(entity.id, { sub: "svc-b", financial_entity_id: entity.id }), leads[1]!)).status,
    ).toBe(200);
    expect((await ask(key.key, leads[2]!)).status).toBe(200);
    expect((await ask(key.key, leads[3]!)).status).toBe(429);
  });

  it("a flood of an unknown or revoked key is limited before it reaches the database", async () => {
    freshApp({ conversions: 2, requests: 2 });
    const { entity, lead } = await givenConvertibleLead(database.db);
    const revoked = await givenApiKey(database.db, entity.id, {
      revokedAt: new Date(Date.now() - MINUTE).toISOString(),
    });
    const body = { lead_id: lead.id, financial_entity_id: entity.id };
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await convert(revoked.key, body));
    // The database says "revoked" once; the app remembers it (a final state) and answers the rest itself.
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(results.map((r) => r.dbCalls)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("key management spends the other budget, not the conversions'", async () => {
    freshApp({ conversions: 1, requests: 2 });
    const { entity, lead } = await givenConvertibleLead(database.db);
    const jwt = await tokenFor(entity.id, { scope: "keys:manage leads:convert" });
    const list = async () => {
      counted.reset();
      const res = await app.request("/api-keys", { headers: { Authorization: `Bearer ${jwt}` } });
      await expectDocumentedResponse("GET", "/api-keys", res);
      return { res, dbCalls: counted.calls() };
    };
    expect((await list()).res.status).toBe(200);
    expect((await list()).res.status).toBe(200);
    const over = await list();
    expect(over.res.headers.get("ratelimit-policy")).toBe(rateLimitPolicy(limits.requests));
    expect(over.res.headers.get("ratelimit-policy")).toBe('"requests";q=2;w=60');
    await expectProblem(over.res, 429, "rate_limited");
    expect(over.dbCalls).toBe(0);
    expect((await convert(jwt, { lead_id: lead.id, financial_entity_id: entity.id })).status).toBe(200);
  });

  it("the webhook endpoints and events API spend the same other budget", async () => {
    freshApp({ conversions: 5, requests: 2 });
    const entity = await givenEntity(database.db);
    const jwt = await tokenFor(entity.id, { scope: "webhooks:manage events:read keys:manage" });
    const get = (path: string) => app.request(path, { headers: { Authorization: `Bearer ${jwt}` } });
    expect((await get("/webhook-endpoints")).status).toBe(200);
    expect((await get("/events")).status).toBe(200);
    counted.reset();
    const over = await get("/api-keys");
    await expectProblem(over, 429, "rate_limited");
    expect(over.headers.get("ratelimit-policy")).toBe('"requests";q=2;w=60');
    expect(counted.calls()).toBe(0);
    await expectProblem(await get("/webhook-endpoints"), 429, "rate_limited");
  });

  it("a noisy neighbour: one key at 10× its budget gets 429s while another entity's conversions are all 200", async () => {
    const budget = 20;
    freshApp({ conversions: budget, requests: budget });
    const noisy = await givenEntity(database.db);
    const noisyLeads = await givenManyLeads(database.db, noisy.ecosystemId, budget * 10);
    const noisyKey = await givenApiKey(database.db, noisy.id);
    const quiet = await givenEntity(database.db);
    const quietLeads = await givenManyLeads(database.db, quiet.ecosystemId, budget);
    const quietKey = await givenApiKey(database.db, quiet.id);

    const flood = Promise.all(
      noisyLeads.map((leadId) =>
        Promise.resolve(
          app.request(
            CONVERT_PATH,
            conversionRequest(noisyKey.key, { lead_id: leadId, financial_entity_id: noisy.id }),
          ),
        ).then((r) => r.status),
      ),
    );
    const calm = Promise.all(
      quietLeads.map((leadId) =>
        Promise.resolve(
          app.request(
            CONVERT_PATH,
            conversionRequest(quietKey.key, { lead_id: leadId, financial_entity_id: quiet.id }),
          ),
        ).then((r) => r.status),
      ),
    );
    const [noisyStatuses, quietStatuses] = await Promise.all([flood, calm]);
    expect(quietStatuses).toEqual(Array(budget).fill(200));
    expect(noisyStatuses.filter((s) => s === 200)).toHaveLength(budget);
    expect(noisyStatuses.filter((s) => s === 429)).toHaveLength(budget * 9);
  });
});
