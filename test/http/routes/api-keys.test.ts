import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { parseIntegrationKey } from "../../../src/http/auth";
import { expectProblem } from "../../contract/expect";
import { givenApiKey, inThePast, readApiKey } from "../../support/api-keys";
import { givenConvertibleLead, givenEntity } from "../../support/builders";
import { countingDatabase, createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { expectDocumentedResponse } from "../../support/openapi";
import { CONVERT_PATH, jsonOf } from "../../support/requests";
import { TEST_SECRET, tokenFor } from "../../support/tokens";

let database: TestDatabase;
let counted: ReturnType<typeof countingDatabase>;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  database = await createTestDatabase();
  counted = countingDatabase(database.db.$client);
  app = createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
});
afterAll(() => database.close());

/** A request to /api-keys, checked against the OpenAPI document; with the database calls it made. */
async function call(
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  counted.reset();
  const res = await app.request(path, {
    method,
    headers: {
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  await expectDocumentedResponse(method, path, res);
  return { res, dbCalls: counted.calls() };
}

const manager = (entityId: string, claims: Record<string, unknown> = { scope: "keys:manage" }) =>
  tokenFor(entityId, claims);

describe("/api-keys — happy path", () => {
  it("creates a key shown once, lists it without the text, and the key converts a lead", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const jwt = await manager(entity.id);
    const created = await call("POST", "/api-keys", jwt, { name: "HubSpot workflow", scopes: ["leads:convert"] });
    expect(created.res.status).toBe(201);
    expect(created.dbCalls).toBe(1);
    expect(created.res.headers.get("cache-control")).toBe("no-store");
    const body = await jsonOf(created.res);
    expect(Object.keys(body)).toEqual(["id", "name", "scopes", "prefix", "created_at", "expires_at", "key"]);
    expect(body).toMatchObject({ name: "HubSpot workflow", scopes: ["leads:convert"], expires_at: null });
    expect(body.prefix).toBe(body.key.slice(4, 12));
    expect(await parseIntegrationKey(body.key)).not.toBeNull();

    const stored = await readApiKey(database.db, body.id);
    expect(stored?.keyHash).toBe((await parseIntegrationKey(body.key))!.hash);
    expect(JSON.stringify(stored)).not.toContain(body.key);

    const listed = await call("GET", "/api-keys", jwt);
    expect(listed.res.status).toBe(200);
    expect(listed.dbCalls).toBe(1);
    const list = await jsonOf(listed.res);
    expect(list.data).toEqual([
      {
        id: body.id,
        name: "HubSpot workflow",
        scopes: ["leads:convert"],
        prefix: body.prefix,
        created_at: body.created_at,
        expires_at: null,
        revoked_at: null,
        last_used_at: null,
      },
    ]);
    expect(JSON.stringify(list)).not.toContain(body.key);

    const converted = await app.request(CONVERT_PATH, {
      method: "POST",
      headers: { Authorization: `Bearer ${body.key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
    });
    expect(converted.status).toBe(200);
    const after = (await jsonOf((await call("GET", "/api-keys", jwt)).res)).data[0];
    expect(after.last_used_at).not.toBeNull();
  });

  it("expires_at is kept in UTC", async () => {
    const entity = await givenEntity(database.db);
    const created = await call("POST", "/api-keys", await manager(entity.id), {
      name: "Zapier",
      scopes: ["leads:convert", "leads:read", "leads:convert"],
      expires_at: "2030-01-01T05:00:00-05:00",
    });
    expect(created.res.status).toBe(201);
    expect(await jsonOf(created.res)).toMatchObject({
      scopes: ["leads:convert", "leads:read"],
      expires_at: "2030-01-01T10:00:00.000Z",
    });
  });

  it("expires_at up to 10 years ahead is accepted, and the key works", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const almostTen = new Date();
    almostTen.setUTCFullYear(almostTen.getUTCFullYear() + 10);
    almostTen.setUTCDate(almostTen.getUTCDate() - 1);
    const created = await call("POST", "/api-keys", await manager(entity.id), {
      name: "long-lived",
      scopes: ["leads:convert"],
      expires_at: almostTen.toISOString(),
    });
    expect(created.res.status).toBe(201);
    const { key } = await jsonOf(created.res);
    const res = await app.request(CONVERT_PATH, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
    });
    expect(res.status).toBe(200);
  });

  it("revoking is 204, again 204, keeps the first revocation time, and lists the key as revoked", async () => {
    const entity = await givenEntity(database.db);
    const jwt = await manager(entity.id);
    const { id } = await jsonOf((await call("POST", "/api-keys", jwt, { name: "n8n", scopes: ["leads:convert"] })).res);
    const first = await call("DELETE", `/api-keys/${id}`, jwt);
    expect(first.res.status).toBe(204);
    expect(first.dbCalls).toBe(1);
    const revokedAt = (await readApiKey(database.db, id))?.revokedAt;
    expect(revokedAt).not.toBeNull();
    expect((await call("DELETE", `/api-keys/${id.toUpperCase()}`, jwt)).res.status).toBe(204);
    expect((await readApiKey(database.db, id))?.revokedAt).toBe(revokedAt);
    const list = await jsonOf((await call("GET", "/api-keys", jwt)).res);
    expect(list.data[0].revoked_at).toBe(revokedAt);
  });

  it("lists only the token's own entity's keys", async () => {
    const [mine, theirs] = [await givenEntity(database.db), await givenEntity(database.db)];
    await call("POST", "/api-keys", await manager(theirs.id), { name: "theirs", scopes: ["leads:read"] });
    const list = await jsonOf((await call("GET", "/api-keys", await manager(mine.id))).res);
    expect(list.data).toEqual([]);
  });
});

describe("/api-keys — errors", () => {
  it("another entity's key, an unknown id or a non-UUID id is 404 api_key_not_found", async () => {
    const [mine, theirs] = [await givenEntity(database.db), await givenEntity(database.db)];
    const { id } = await jsonOf(
      (await call("POST", "/api-keys", await manager(theirs.id), { name: "x", scopes: ["leads:read"] })).res,
    );
    for (const target of [id, crypto.randomUUID()]) {
      const { res, dbCalls } = await call("DELETE", `/api-keys/${target}`, await manager(mine.id));
      await expectProblem(res, 404, "api_key_not_found");
      expect(dbCalls).toBe(1);
    }
    const notUuid = await call("DELETE", "/api-keys/not-a-uuid", await manager(mine.id));
    await expectProblem(notUuid.res, 404, "api_key_not_found");
    expect(notUuid.dbCalls).toBe(0);
    expect((await readApiKey(database.db, id))?.revokedAt).toBeNull();
  });

  it("a token whose scopes lack keys:manage is 403 insufficient_scope, without the database", async () => {
    const entity = await givenEntity(database.db);
    for (const [method, path, body] of [
      ["POST", "/api-keys", { name: "x", scopes: ["leads:convert"] }],
      ["GET", "/api-keys", undefined],
      ["DELETE", `/api-keys/${crypto.randomUUID()}`, undefined],
    ] as const) {
      const { res, dbCalls } = await call(method, path, await tokenFor(entity.id, { scope: "leads:convert" }), body);
      expect(res.headers.get("www-authenticate")).toMatch(/error="insufficient_scope", scope="keys:manage"/);
      await expectProblem(res, 403, "insufficient_scope");
      expect(dbCalls).toBe(0);
    }
  });

  it("a token without any scope claim is 403 insufficient_scope: keys:manage must be named", async () => {
    const entity = await givenEntity(database.db);
    const unscoped = await tokenFor(entity.id, { scope: undefined });
    for (const [method, path, body] of [
      ["POST", "/api-keys", { name: "forever", scopes: ["leads:convert"] }],
      ["GET", "/api-keys", undefined],
      ["DELETE", `/api-keys/${crypto.randomUUID()}`, undefined],
    ] as const) {
      const { res, dbCalls } = await call(method, path, unscoped, body);
      expect(res.headers.get("www-authenticate")).toMatch(/error="insufficient_scope", scope="keys:manage"/);
      await expectProblem(res, 403, "insufficient_scope");
      expect(dbCalls).toBe(0);
    }
  });

  it("no token is 401", async () => {
    for (const [method, path] of [
      ["POST", "/api-keys"],
      ["GET", "/api-keys"],
      ["DELETE", `/api-keys/${crypto.randomUUID()}`],
    ] as const) {
      const { res, dbCalls } = await call(method, path, null);
      await expectProblem(res, 401, "unauthorized");
      expect(dbCalls).toBe(0);
    }
  });

  it.each([
    ["no name", { scopes: ["leads:convert"] }, "name"],
    ["an empty name", { name: "  ", scopes: ["leads:convert"] }, "name"],
    ["no scopes", { name: "x" }, "scopes"],
    ["empty scopes", { name: "x", scopes: [] }, "scopes"],
    ["an unknown scope", { name: "x", scopes: ["leads:convert", "admin"] }, "scopes.1"],
    ["keys:manage as a key's scope", { name: "x", scopes: ["keys:manage"] }, "scopes.0"],
    [
      "expires_at in the past",
      { name: "x", scopes: ["leads:convert"], expires_at: "2020-01-01T00:00:00Z" },
      "expires_at",
    ],
    [
      "expires_at without a zone",
      { name: "x", scopes: ["leads:convert"], expires_at: "2099-01-01T00:00:00" },
      "expires_at",
    ],
    ["expires_at that is not a date", { name: "x", scopes: ["leads:convert"], expires_at: "tomorrow" }, "expires_at"],
    [
      "expires_at in the year 9999 (an instant in year 10000 in UTC)",
      { name: "x", scopes: ["leads:convert"], expires_at: "9999-12-31T23:00:00-05:00" },
      "expires_at",
    ],
    [
      "expires_at more than 10 years ahead",
      { name: "x", scopes: ["leads:convert"], expires_at: `${new Date().getUTCFullYear() + 11}-01-01T00:00:00Z` },
      "expires_at",
    ],
  ])("%s is 400 validation_error naming the field", async (_, body, path) => {
    const entity = await givenEntity(database.db);
    const { res, dbCalls } = await call("POST", "/api-keys", await manager(entity.id), body);
    const problem = await expectProblem(res, 400, "validation_error");
    expect((problem.errors as { path: string }[]).map((e) => e.path)).toContain(path);
    expect(dbCalls).toBe(0);
  });

  it("malformed JSON is 400, another content type 415, an oversized body 413", async () => {
    const jwt = await manager((await givenEntity(database.db)).id);
    await expectProblem((await call("POST", "/api-keys", jwt, "{")).res, 400, "validation_error");
    await expectProblem(
      (await call("POST", "/api-keys", jwt, "x", { "Content-Type": "text/plain" })).res,
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      (await call("POST", "/api-keys", jwt, { name: "x".repeat(5_000), scopes: ["leads:read"] })).res,
      413,
      "payload_too_large",
    );
  });

  it("a token for an entity that does not exist is 404 financial_entity_not_found, in one request", async () => {
    const { res, dbCalls } = await call("POST", "/api-keys", await manager(crypto.randomUUID()), {
      name: "x",
      scopes: ["leads:read"],
    });
    await expectProblem(res, 404, "financial_entity_not_found");
    expect(dbCalls).toBe(1);
  });

  it("the 101st key that is not revoked is 409 limit_reached, in one request; revoking one makes room", async () => {
    const entity = await givenEntity(database.db);
    const jwt = await manager(entity.id);
    const keys = [];
    for (let i = 0; i < 99; i++) keys.push(await givenApiKey(database.db, entity.id));
    await givenApiKey(database.db, entity.id, { revokedAt: inThePast() });
    const hundredth = await call("POST", "/api-keys", jwt, { name: "100th", scopes: ["leads:read"] });
    expect(hundredth.res.status).toBe(201);

    const over = await call("POST", "/api-keys", jwt, { name: "101st", scopes: ["leads:read"] });
    await expectProblem(over.res, 409, "limit_reached");
    expect(over.dbCalls).toBe(1);
    expect((await call("GET", "/api-keys", jwt)).res.status).toBe(200);

    expect((await call("DELETE", `/api-keys/${keys[0]!.id}`, jwt)).res.status).toBe(204);
    expect((await call("POST", "/api-keys", jwt, { name: "again", scopes: ["leads:read"] })).res.status).toBe(201);
  });

  it("other methods are 405 with Allow", async () => {
    const jwt = await manager((await givenEntity(database.db)).id);
    const { res } = await call("PUT", "/api-keys", jwt);
    await expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")?.split(", ")).toEqual(expect.arrayContaining(["GET", "POST"]));
  });
});
