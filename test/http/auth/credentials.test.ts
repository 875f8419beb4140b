import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, inProcessRateLimits } from "../../../src/app";
import { DEFAULT_RATE_LIMITS, generateIntegrationKey } from "../../../src/http/auth";
import { expectProblem } from "../../contract/expect";
import { givenApiKey, inThePast } from "../../support/api-keys";
import { givenEntity } from "../../support/builders";
import { createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { openApiDocument } from "../../support/openapi";
import { nowSeconds, TEST_SECRET, tokenFor } from "../../support/tokens";

/** A route that takes credentials: what it needs, and a body it would accept from its own entity. */
interface CredentialRoute {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** `{id}`-style segments are filled with fresh UUIDs. */
  path: string;
  scope: string;
  body?: (entityId: string) => unknown;
  /** False where integration keys are never accepted (key management). */
  keys?: boolean;
}

const id = () => crypto.randomUUID();

/**
 * Every route behind bearer credentials. Add a row for a new route: the last test fails until every documented
 * operation with a 401 response has one.
 */
const ROUTES: CredentialRoute[] = [
  {
    method: "POST",
    path: "/turn-lead-into-client",
    scope: "leads:convert",
    body: (e) => ({ lead_id: id(), financial_entity_id: e }),
  },
  {
    method: "POST",
    path: "/turn-leads-into-clients",
    scope: "leads:convert",
    body: (e) => ({ financial_entity_id: e, lead_ids: [id()] }),
  },
  { method: "GET", path: "/leads", scope: "leads:read" },
  { method: "POST", path: "/leads", scope: "leads:write", body: () => ({}) },
  { method: "GET", path: "/leads/{lead_id}", scope: "leads:read" },
  { method: "PATCH", path: "/leads/{lead_id}", scope: "leads:write", body: () => ({}) },
  { method: "POST", path: "/leads/bulk", scope: "leads:write", body: () => ({ leads: [{}] }) },
  { method: "POST", path: "/leads/{lead_id}/assign", scope: "leads:write" },
  { method: "POST", path: "/leads/{lead_id}/unassign", scope: "leads:write" },
  { method: "GET", path: "/users", scope: "users:read" },
  { method: "GET", path: "/users/{user_id}", scope: "users:read" },
  {
    method: "POST",
    path: "/webhook-endpoints",
    scope: "webhooks:manage",
    body: () => ({ url: "https://hooks.example.com/leads" }),
  },
  { method: "GET", path: "/webhook-endpoints", scope: "webhooks:manage" },
  { method: "GET", path: "/webhook-endpoints/{id}", scope: "webhooks:manage" },
  { method: "PATCH", path: "/webhook-endpoints/{id}", scope: "webhooks:manage", body: () => ({}) },
  { method: "DELETE", path: "/webhook-endpoints/{id}", scope: "webhooks:manage" },
  { method: "POST", path: "/webhook-endpoints/{id}/rotate-secret", scope: "webhooks:manage" },
  { method: "GET", path: "/events", scope: "events:read" },
  { method: "GET", path: "/events/{id}/deliveries", scope: "events:read" },
  { method: "POST", path: "/events/{id}/redeliver", scope: "webhooks:manage", body: () => ({}) },
  {
    method: "POST",
    path: "/api-keys",
    scope: "keys:manage",
    body: () => ({ name: "CI", scopes: ["leads:convert"] }),
    keys: false,
  },
  { method: "GET", path: "/api-keys", scope: "keys:manage", keys: false },
  { method: "DELETE", path: "/api-keys/{id}", scope: "keys:manage", keys: false },
];

const REALM = 'Bearer realm="turn-lead-into-client"';

let database: TestDatabase;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  database = await createTestDatabase();
  // This suite sends a few hundred failed keys from one (unknown) address on purpose; that budget has its own test
  // (test/http/auth/abuse-limits.worker.test.ts).
  app = createApp({
    db: database.db,
    auth: { secret: TEST_SECRET },
    logger: silentLogger(),
    rateLimits: inProcessRateLimits({ ...DEFAULT_RATE_LIMITS, authFailures: 1_000_000 }),
  });
});
afterAll(() => database.close());

function send(route: CredentialRoute, entityId: string, authorization: string | null) {
  const headers = new Headers();
  if (authorization !== null) headers.set("Authorization", authorization);
  const body = route.body?.(entityId);
  if (body !== undefined) headers.set("Content-Type", "application/json");
  return app.request(route.path.replace(/\{[a-z_]+\}/g, id), {
    method: route.method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function expectUnauthorized(res: Response) {
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="turn-lead-into-client"/);
  await expectProblem(res, 401, "unauthorized");
}

describe.each(ROUTES)("credentials on $method $path", (route) => {
  it("401 without credentials, challenging for a bearer token", async () => {
    const entity = await givenEntity(database.db);
    const res = await send(route, entity.id, null);
    expect(res.headers.get("www-authenticate")).toBe(REALM);
    await expectProblem(res, 401, "unauthorized");
  });

  it("401 for a credential that is not a bearer one", async () => {
    const entity = await givenEntity(database.db);
    for (const header of ["Basic dXNlcjpwYXNz", "Bearer", `Token ${await tokenFor(entity.id)}`]) {
      await expectUnauthorized(await send(route, entity.id, header));
    }
  });

  it("401 invalid_token for a bad signature and for an expired token", async () => {
    const entity = await givenEntity(database.db);
    const forged = await tokenFor(entity.id, { scope: route.scope }, "another-secret-that-is-also-32-bytes-long");
    const expired = await tokenFor(entity.id, { scope: route.scope, exp: nowSeconds() - 120 });
    for (const token of [forged, expired]) {
      const res = await send(route, entity.id, `Bearer ${token}`);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      await expectProblem(res, 401, "unauthorized");
    }
  });

  it(`403 insufficient_scope for a token without ${route.scope}`, async () => {
    const entity = await givenEntity(database.db);
    const res = await send(route, entity.id, `Bearer ${await tokenFor(entity.id, { scope: "nothing:here" })}`);
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    await expectProblem(res, 403, "insufficient_scope");
  });

  // Integration keys never manage keys: those rows have no key cases.
  if (route.keys === false) return;

  it("401 for an unknown, a revoked and an expired integration key", async () => {
    const entity = await givenEntity(database.db);
    const scopes = [route.scope];
    const unknown = (await generateIntegrationKey()).key;
    const revoked = (await givenApiKey(database.db, entity.id, { scopes, revokedAt: inThePast() })).key;
    const expired = (await givenApiKey(database.db, entity.id, { scopes, expiresAt: inThePast() })).key;
    for (const key of [unknown, revoked, expired]) {
      await expectProblem(await send(route, entity.id, `Bearer ${key}`), 401, "unauthorized");
    }
  });

  it(`403 insufficient_scope for an integration key without ${route.scope}`, async () => {
    const entity = await givenEntity(database.db);
    const other = route.scope === "users:read" ? "leads:read" : "users:read";
    const { key } = await givenApiKey(database.db, entity.id, { scopes: [other] as never });
    await expectProblem(await send(route, entity.id, `Bearer ${key}`), 403, "insufficient_scope");
  });
});

describe("the credential table", () => {
  it("has a row for every documented operation that answers 401", () => {
    const documented = Object.entries(openApiDocument.paths as Record<string, Record<string, { responses?: object }>>)
      .flatMap(([path, operations]) =>
        Object.entries(operations)
          .filter(([, operation]) => operation.responses && "401" in operation.responses)
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    expect(ROUTES.map((route) => `${route.method} ${route.path}`).sort()).toEqual(documented);
  });
});
