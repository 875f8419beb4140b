import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, inProcessRateLimits } from "../../../src/app";
import { generateIntegrationKey } from "../../../src/http/auth/integration-keys";
import { expectProblem } from "../../contract/expect";
import { givenApiKey } from "../../support/api-keys";
import { givenConvertibleLead, givenEntity, givenManyLeads } from "../../support/builders";
import { countingDatabase, createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { awayFromWindowEdge } from "../../support/rate-limits";
import { CONVERT_PATH, conversionRequest } from "../../support/requests";
import { type HttpTarget, startNodeTarget, startWorkerTarget } from "../../support/targets";
import { TEST_SECRET, tokenFor } from "../../support/tokens";

const minted = async (n: number) =>
  Promise.all(Array.from({ length: n }, async () => (await generateIntegrationKey()).key));

/** One client address sending keys that were never issued, then callers the flood must not hold back. */
function failedKeysSuite(
  name: string,
  start: () => Promise<HttpTarget & { dbRequests?(): Promise<number>; resetDb?(): Promise<void> }>,
) {
  describe(`failed keys per client address — ${name}`, () => {
    let target: Awaited<ReturnType<typeof start>>;
    beforeAll(async () => {
      target = await start();
    }, 90_000);
    afterAll(async () => {
      await target?.close();
    });

    it("60 minted keys from one address — on the conversion, the lists and the lead writes — cost the database 30 requests; the rest are 429 auth-failures, and a valid JWT and a key that worked before are not held back", async () => {
      const { entity, lead } = await givenConvertibleLead(target.db);
      const leads = await givenManyLeads(target.db, entity.ecosystemId, 2);
      const worked = await givenApiKey(target.db, entity.id);
      const neverUsed = await givenApiKey(target.db, entity.id);
      const body = (leadId: string) => ({ lead_id: leadId, financial_entity_id: entity.id });
      await awayFromWindowEdge(30);
      const first = await target.fetch(CONVERT_PATH, conversionRequest(worked.key, body(lead.id)));
      expect(first.status).toBe(200);

      await target.resetDb?.();
      const statuses: number[] = [];
      let held: Response | undefined;
      const withKey = (key: string, method = "GET", sent?: unknown): RequestInit => ({
        method,
        headers: {
          Authorization: `Bearer ${key}`,
          ...(sent === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: sent === undefined ? undefined : JSON.stringify(sent),
      });
      // Every route kind a failed key counts on alike, taken in turn.
      const routes = [
        (key: string) => target.fetch(CONVERT_PATH, conversionRequest(key, body(lead.id))),
        (key: string) => target.fetch("/leads", withKey(key)),
        (key: string) => target.fetch("/users?limit=5", withKey(key)),
        (key: string) => target.fetch("/leads", withKey(key, "POST", { name: "Ana" })),
        (key: string) => target.fetch(`/leads/${lead.id}`, withKey(key, "PATCH", { name: "Ana" })),
      ];
      for (const [i, key] of (await minted(60)).entries()) {
        const res = await routes[i % routes.length]!(key);
        statuses.push(res.status);
        if (res.status === 429 && !held) held = res;
        else await res.arrayBuffer();
      }
      if (target.dbRequests) {
        const databaseRequests = await target.dbRequests();
        // The figure the issue asks for: database requests for 60 minted keys from one address.
        console.info(`[measure] ${name}: 60 minted keys from one address → ${databaseRequests} database requests`);
        expect(databaseRequests).toBe(30);
      }
      expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
      expect(statuses.slice(30)).toEqual(Array(30).fill(429));
      expect(held!.headers.get("ratelimit-policy")).toBe('"auth-failures";q=30;w=60');
      expect(Number(held!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(Number(held!.headers.get("retry-after"))).toBeLessThanOrEqual(60);
      await expectProblem(held!, 429, "rate_limited");

      // A key the database has not vouched for here is held back too, on the lists as well…
      expect((await target.fetch(CONVERT_PATH, conversionRequest(neverUsed.key, body(leads[0]!)))).status).toBe(429);
      expect((await target.fetch("/leads", withKey(neverUsed.key))).status).toBe(429);
      expect((await target.fetch("/users", withKey(neverUsed.key))).status).toBe(429);
      // …but not a valid JWT, nor a key that worked before.
      const jwt = await tokenFor(entity.id);
      expect((await target.fetch(CONVERT_PATH, conversionRequest(jwt, body(leads[0]!)))).status).toBe(200);
      expect((await target.fetch(CONVERT_PATH, conversionRequest(worked.key, body(leads[1]!)))).status).toBe(200);
      // Waiting away from the minute's edge may take 30 s by itself.
    }, 90_000);
  });
}

failedKeysSuite("in-process app (no address known: one for all)", async () => {
  const database: TestDatabase = await createTestDatabase();
  const counted = countingDatabase(database.db.$client);
  const app = createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
  return {
    url: new URL("http://app"),
    dbUrl: database.url,
    db: database.db,
    fetch: async (path, init) => app.request(path, init),
    logLines: () => [],
    dbRequests: async () => counted.calls(),
    resetDb: async () => counted.reset(),
    close: async () => database.close(),
  };
});

// The Node entry's own database calls are not observable from outside; its statuses are (the in-process app above
// runs the same code and counts).
failedKeysSuite("Node entry (socket peer address)", () => startNodeTarget());

failedKeysSuite("Worker in workerd (CF-Connecting-IP, wrangler.toml's binding)", async () => {
  const target = await startWorkerTarget();
  return {
    ...target,
    dbRequests: async () => target.server.pipelineRequests(),
    resetDb: async () => target.server.resetStats(),
  };
});

describe("the client address on the Node entry", () => {
  const flood = async (target: HttpTarget, forwardedFor?: string) => {
    const entity = await givenEntity(target.db);
    const statuses = [];
    for (const key of await minted(31)) {
      const res = await target.fetch(CONVERT_PATH, {
        ...conversionRequest(key, { lead_id: crypto.randomUUID(), financial_entity_id: entity.id }),
        headers: {
          Authorization: `Bearer ${key}`,
          "Content-Type": "application/json",
          ...(forwardedFor ? { "X-Forwarded-For": forwardedFor } : {}),
        },
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    return statuses;
  };

  it("ignores X-Forwarded-For unless TRUST_PROXY=true", async () => {
    const target = await startNodeTarget();
    try {
      await awayFromWindowEdge(20);
      expect((await flood(target, "203.0.113.1")).at(-1)).toBe(429);
      // Another claimed address changes nothing: the socket's peer is the same.
      expect((await flood(target, "203.0.113.2"))[0]).toBe(429);
    } finally {
      await target.close();
    }
  });

  it("with TRUST_PROXY=true, each address the proxy saw (the last X-Forwarded-For entry) has its own budget", async () => {
    const target = await startNodeTarget({ TRUST_PROXY: "true" });
    try {
      await awayFromWindowEdge(20);
      expect((await flood(target, "198.51.100.7, 203.0.113.1")).at(-1)).toBe(429);
      expect((await flood(target, "198.51.100.7, 203.0.113.2")).slice(0, 30)).toEqual(Array(30).fill(401));
    } finally {
      await target.close();
    }
  });
});

describe("budgets per entity", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  it("all credentials of one entity together get the entity's budget: more tokens or keys buy nothing", async () => {
    const app = createApp({
      db: database.db,
      auth: { secret: TEST_SECRET },
      logger: silentLogger(),
      rateLimits: inProcessRateLimits({ conversions: 100, requests: 100, entityConversions: 4, entityRequests: 3 }),
    });
    const entity = await givenEntity(database.db);
    const other = await givenEntity(database.db);
    const leads = await givenManyLeads(database.db, entity.ecosystemId, 6);
    await awayFromWindowEdge(10);
    const read = async (credential: string) =>
      app.request(`/users/${crypto.randomUUID()}`, { headers: { Authorization: `Bearer ${credential}` } });

    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await read(await tokenFor(entity.id, { sub: `svc-${i}`, financial_entity_id: entity.id, scope: undefined })))
          .status,
      );
    expect(statuses).toEqual([404, 404, 404, 429]);
    const over = await read(
      await tokenFor(entity.id, { sub: "svc-new", financial_entity_id: entity.id, scope: undefined }),
    );
    expect(over.headers.get("ratelimit-policy")).toBe('"entity-requests";q=3;w=60');
    await expectProblem(over, 429, "rate_limited");
    // Another entity is not affected.
    expect((await read(await tokenFor(other.id, { scope: undefined }))).status).toBe(404);

    // Conversions: keys count toward their entity once the key has worked here.
    const keys = await Promise.all([0, 1, 2].map(() => givenApiKey(database.db, entity.id)));
    const convert = async (key: string, leadId: string) =>
      (await app.request(CONVERT_PATH, conversionRequest(key, { lead_id: leadId, financial_entity_id: entity.id })))
        .status;
    const converted = [];
    for (let i = 0; i < 6; i++) converted.push(await convert(keys[i % 3]!.key, leads[i]!));
    // The first use of each key is not counted (its entity is known only afterwards); then 4 fit, and no more.
    expect(converted).toEqual([200, 200, 200, 200, 200, 200]);
    const more = await givenManyLeads(database.db, entity.ecosystemId, 3);
    const after = [];
    for (let i = 0; i < 3; i++) after.push(await convert(keys[i]!.key, more[i]!));
    expect(after).toEqual([200, 429, 429]);
  });

  it("on the Node entry, 3 × the credential's budgets by default", async () => {
    const target = await startNodeTarget({ RATE_LIMIT_REQUESTS_PER_MINUTE: "2" });
    try {
      const entity = await givenEntity(target.db);
      await awayFromWindowEdge(10);
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const jwt = await tokenFor(entity.id, { sub: `svc-${i}`, financial_entity_id: entity.id, scope: undefined });
        for (let j = 0; j < 2; j++) {
          const res = await target.fetch(`/users/${crypto.randomUUID()}`, {
            headers: { Authorization: `Bearer ${jwt}` },
          });
          statuses.push(res.status);
          if (res.status === 429) expect(res.headers.get("ratelimit-policy")).toBe('"entity-requests";q=6;w=60');
          await res.arrayBuffer();
        }
      }
      expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 429, 429]);
    } finally {
      await target.close();
    }
  });

  it("on the Worker, with the entity's Workers Rate Limiting binding", async () => {
    const target = await startWorkerTarget({
      bindings: {
        ENTITY_REQUESTS_RATE_LIMITER: { type: "ratelimit", namespace_id: "1104", simple: { limit: 3, period: 60 } },
      },
      vars: { RATE_LIMIT_ENTITY_REQUESTS_PER_MINUTE: "3" },
    });
    try {
      const entity = await givenEntity(target.db);
      await awayFromWindowEdge(10);
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const jwt = await tokenFor(entity.id, { sub: `svc-${i}`, financial_entity_id: entity.id, scope: undefined });
        const res = await target.fetch(`/users/${crypto.randomUUID()}`, {
          headers: { Authorization: `Bearer ${jwt}` },
        });
        statuses.push(res.status);
        if (res.status === 429) expect(res.headers.get("ratelimit-policy")).toBe('"entity-requests";q=3;w=60');
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([404, 404, 404, 429, 429]);
    } finally {
      await target.close();
    }
  }, 90_000);
});
