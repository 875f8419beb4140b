import type { Client, InStatement } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { createDatabase } from "../../../src/db/client";
import { generateIntegrationKey } from "../../../src/http/auth";
import { keyChecksum } from "../../../src/http/auth/integration-keys";
import { expectProblem } from "../../contract/expect";
import { givenApiKey, inTheFuture, inThePast, readApiKey } from "../../support/api-keys";
import { auditFor, givenConvertibleLead, givenEntity, readLead, writesFor } from "../../support/builders";
import { createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { CONVERT_PATH, jsonOf } from "../../support/requests";
import { TEST_SECRET, tokenFor } from "../../support/tokens";

/** The database seen through a client that counts every call and keeps every batch's SQL. */
function recordingDatabase(client: Client) {
  let calls = 0;
  let batches: string[][] = [];
  const recorded = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (!["execute", "batch", "transaction", "executeMultiple", "migrate"].includes(String(property)))
        return value.bind(target);
      return (...args: unknown[]) => {
        calls += 1;
        if (property === "batch")
          batches.push((args[0] as InStatement[]).map((s) => (typeof s === "string" ? s : s.sql)));
        return value.apply(target, args);
      };
    },
  });
  return {
    db: createDatabase(recorded),
    calls: () => calls,
    batches: () => batches,
    reset: () => {
      calls = 0;
      batches = [];
    },
  };
}

let database: TestDatabase;
let recorded: ReturnType<typeof recordingDatabase>;
let app: ReturnType<typeof createApp>;
const logs = silentLogger();
const keysSent: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  recorded = recordingDatabase(database.db.$client);
  app = createApp({ db: recorded.db, auth: { secret: TEST_SECRET }, logger: logs });
});
afterAll(() => database.close());

/** Converts a fresh lead of a fresh entity, with whatever credential the attack builds for that entity. */
async function attempt(
  authorizationFor: (entityId: string) => Promise<string | null> | string | null,
  options: { query?: string; body?: (ids: { lead_id: string; financial_entity_id: string }) => unknown } = {},
) {
  const { entity, lead } = await givenConvertibleLead(database.db);
  const headers = new Headers({ "Content-Type": "application/json" });
  const authorization = await authorizationFor(entity.id);
  if (authorization !== null) {
    headers.set("Authorization", authorization);
    keysSent.push(authorization.replace(/^bearer\s+/i, ""));
  }
  const ids = { lead_id: lead.id, financial_entity_id: entity.id };
  recorded.reset();
  const res = await app.request(`${CONVERT_PATH}${options.query ?? ""}`, {
    method: "POST",
    headers,
    body: JSON.stringify(options.body ? options.body(ids) : ids),
  });
  return { res, entity, lead, dbCalls: recorded.calls(), batches: recorded.batches() };
}

const withKey = (makeKey: (entityId: string) => Promise<string> | string) =>
  attempt(async (entityId) => `Bearer ${await makeKey(entityId)}`);

const keyOf = async (entityId: string, overrides: Parameters<typeof givenApiKey>[2] = {}) =>
  (await givenApiKey(database.db, entityId, overrides)).key;

/** 401 invalid_token, the same detail for every bad key, the database asked `dbCalls` times, nothing written. */
async function expectKeyRefused(result: Awaited<ReturnType<typeof attempt>>, dbCalls: number) {
  expect(result.res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
  const body = await expectProblem(result.res, 401, "unauthorized");
  expect(result.dbCalls).toBe(dbCalls);
  expect(await writesFor(database.db, result.lead.id)).toEqual({ clients: 0, audits: 0 });
  expect((await readLead(database.db, result.lead.id))?.status).toBe("qualified");
  return body;
}

const flipLast = (key: string) => key.slice(0, -1) + (key.at(-1) === "0" ? "1" : "0");

describe("integration key attacks — malformed keys are refused without the database", () => {
  it("a wrong checksum", async () => {
    await expectKeyRefused(await withKey(async (id) => flipLast(await keyOf(id))), 0);
  });

  it("a checksum taken from another key", async () => {
    await expectKeyRefused(
      await withKey(async (id) => {
        const [mine, theirs] = [await keyOf(id), (await generateIntegrationKey()).key];
        return mine.slice(0, -6) + theirs.slice(-6);
      }),
      0,
    );
  });

  it("a truncated key", async () => {
    await expectKeyRefused(await withKey(async (id) => (await keyOf(id)).slice(0, -1)), 0);
  });

  it("a key with a character appended", async () => {
    await expectKeyRefused(await withKey(async (id) => `${await keyOf(id)}0`), 0);
  });

  it("a key without its checksum", async () => {
    await expectKeyRefused(await withKey(async (id) => (await keyOf(id)).slice(0, 47)), 0);
  });

  it("another prefix (lcx_) on a real key", async () => {
    await expectKeyRefused(await withKey(async (id) => (await keyOf(id)).replace(/^lck_/, "lcx_")), 0);
  });

  it("the prefix in capitals (LCK_) on a real key", async () => {
    await expectKeyRefused(await withKey(async (id) => (await keyOf(id)).replace(/^lck_/, "LCK_")), 0);
  });

  it("a random part past 2^256 with a matching checksum", async () => {
    const random = "z".repeat(43);
    await expectKeyRefused(await withKey(() => `lck_${random}_${keyChecksum(random)}`), 0);
  });

  it("a JWT-shaped key (lck_ followed by header.payload.signature)", async () => {
    await expectKeyRefused(await withKey(async (id) => `lck_${await tokenFor(id)}`), 0);
  });

  it("a valid JWT with lck_ spliced into its header is neither a key nor a token", async () => {
    await expectKeyRefused(await withKey(async (id) => `lck_${(await tokenFor(id)).slice(4)}`), 0);
  });

  it("a key in the query string is never looked at", async () => {
    const key = await keyOf((await givenEntity(database.db)).id);
    const result = await attempt(() => null, { query: `?api_key=${key}&access_token=${key}` });
    expect(result.res.headers.get("www-authenticate")).toBe('Bearer realm="turn-lead-into-client"');
    await expectProblem(result.res, 401, "unauthorized");
    expect(result.dbCalls).toBe(0);
  });

  it("a key in the body is never looked at", async () => {
    const key = await keyOf((await givenEntity(database.db)).id);
    const result = await attempt(() => null, {
      body: (ids) => ({ ...ids, api_key: key, authorization: `Bearer ${key}` }),
    });
    await expectProblem(result.res, 401, "unauthorized");
    expect(result.dbCalls).toBe(0);
  });

  it("a key sent with the Basic scheme", async () => {
    const result = await attempt(async (id) => `Basic ${btoa(`${await keyOf(id)}:`)}`);
    await expectProblem(result.res, 401, "unauthorized");
    expect(result.dbCalls).toBe(0);
  });

  it("a key and a token in two Authorization headers", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const headers = new Headers({ "Content-Type": "application/json" });
    headers.append("Authorization", `Bearer ${await keyOf(entity.id)}`);
    headers.append("Authorization", `Bearer ${await tokenFor(entity.id)}`);
    recorded.reset();
    const res = await app.request(CONVERT_PATH, {
      method: "POST",
      headers,
      body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
    });
    await expectProblem(res, 401, "unauthorized");
    expect(recorded.calls()).toBe(0);
  });

  it("a malformed body with an unknown key is 400: the body comes before the key's database check", async () => {
    const result = await attempt(async () => `Bearer ${(await generateIntegrationKey()).key}`, {
      body: () => ({ lead_id: "x" }),
    });
    await expectProblem(result.res, 400, "validation_error");
    expect(result.dbCalls).toBe(0);
  });
});

describe("integration key attacks — well-formed keys are judged inside the conversion's one batch", () => {
  it("an unknown key (right shape and checksum, never issued)", async () => {
    await expectKeyRefused(await withKey(async () => (await generateIntegrationKey()).key), 1);
  });

  it("a revoked key", async () => {
    await expectKeyRefused(await withKey((id) => keyOf(id, { revokedAt: inThePast() })), 1);
  });

  it("an expired key", async () => {
    await expectKeyRefused(await withKey((id) => keyOf(id, { expiresAt: inThePast() })), 1);
  });

  it("unknown and revoked keys get the same answer from the very same statements", async () => {
    const unknown = await withKey(async () => (await generateIntegrationKey()).key);
    const revoked = await withKey((id) => keyOf(id, { revokedAt: inThePast() }));
    const expired = await withKey((id) => keyOf(id, { expiresAt: inThePast() }));
    const answers = [];
    for (const r of [unknown, revoked, expired]) {
      const { request_id: _, ...body } = await expectKeyRefused(r, 1);
      answers.push({ body, challenge: r.res.headers.get("www-authenticate") });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    // Structurally the same: one batch each, statement for statement the same SQL; only the arguments differ.
    expect(unknown.batches).toHaveLength(1);
    expect(revoked.batches).toEqual(unknown.batches);
    expect(expired.batches).toEqual(unknown.batches);
  });

  it("a key without the leads:convert scope is 403 insufficient_scope, and writes nothing", async () => {
    const result = await withKey((id) => keyOf(id, { scopes: ["leads:read", "users:read", "webhooks:manage"] }));
    expect(result.res.headers.get("www-authenticate")).toMatch(/error="insufficient_scope"/);
    await expectProblem(result.res, 403, "insufficient_scope");
    expect(result.dbCalls).toBe(1);
    expect(await writesFor(database.db, result.lead.id)).toEqual({ clients: 0, audits: 0 });
  });

  it("another entity's key is 403 forbidden, and writes nothing", async () => {
    const result = await withKey(async (id) => {
      const other = await givenEntity(database.db, { ecosystemId: (await readEntityEcosystem(id))! });
      return keyOf(other.id);
    });
    await expectProblem(result.res, 403, "forbidden");
    expect(result.dbCalls).toBe(1);
    expect(await writesFor(database.db, result.lead.id)).toEqual({ clients: 0, audits: 0 });
    expect((await readLead(database.db, result.lead.id))?.financialEntityId).toBeNull();
  });

  it("a revoked key cannot read an existing client through a replay", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const live = await givenApiKey(database.db, entity.id);
    const body = JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id });
    const send = (key: string) =>
      app.request(CONVERT_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
        body,
      });
    expect((await send(live.key)).status).toBe(200);
    const revoked = await givenApiKey(database.db, entity.id, { revokedAt: inThePast() });
    const res = await send(revoked.key);
    const problem = await expectProblem(res, 401, "unauthorized");
    expect(JSON.stringify(problem)).not.toContain(lead.id);
  });

  it("revocation holds on the very next request", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const { key, id } = await givenApiKey(database.db, entity.id);
    const jwt = await tokenFor(entity.id, { scope: "keys:manage" });
    expect(
      (await app.request(`/api-keys/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${jwt}` } })).status,
    ).toBe(204);
    const res = await app.request(CONVERT_PATH, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
      body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
    });
    await expectProblem(res, 401, "unauthorized");
    expect(await writesFor(database.db, lead.id)).toEqual({ clients: 0, audits: 0 });
  });

  it("a revoked key racing a conversion: the conversion wins whole before the revocation commits, or gets 401 with nothing written", async () => {
    const seen = new Set<number>();
    for (let round = 0; round < 12; round++) {
      const { entity, lead } = await givenConvertibleLead(database.db);
      const { key, id } = await givenApiKey(database.db, entity.id);
      const jwt = await tokenFor(entity.id, { scope: "keys:manage" });
      const convert = () =>
        app.request(CONVERT_PATH, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${key}` },
          body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
        });
      const revoke = () =>
        app.request(`/api-keys/${id}`, { method: "DELETE", headers: { Authorization: `Bearer ${jwt}` } });
      // Alternate who is sent first; the database serializes the two transactions either way.
      const [conversion, revocation] =
        round % 2 === 0
          ? await Promise.all([convert(), revoke()])
          : (await Promise.all([revoke(), convert()])).reverse();
      expect(revocation!.status).toBe(204);
      seen.add(conversion!.status);
      const writes = await writesFor(database.db, lead.id);
      const leadRow = await readLead(database.db, lead.id);
      if (conversion!.status === 200) {
        expect(writes).toEqual({ clients: 1, audits: 1 });
        expect(leadRow?.status).toBe("converted");
      } else {
        await expectProblem(conversion!, 401, "unauthorized");
        expect(writes).toEqual({ clients: 0, audits: 0 });
        expect(leadRow?.status).toBe("qualified");
        expect(leadRow?.convertedClientId).toBeNull();
      }
      // Whoever won, the key is dead from now on.
      expect((await convert()).status).toBe(401);
    }
    expect([...seen].every((status) => status === 200 || status === 401)).toBe(true);
  });
});

describe("integration keys on key management — refused without the database", () => {
  const manage = async (method: string, path: string, authorization: string, body?: unknown) => {
    recorded.reset();
    const res = await app.request(path, {
      method,
      headers: { Authorization: authorization, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { res, dbCalls: recorded.calls() };
  };

  it("a key, even with every scope, cannot create, list or revoke keys (403)", async () => {
    const entity = await givenEntity(database.db);
    const key = await givenApiKey(database.db, entity.id, {
      scopes: ["leads:convert", "leads:read", "users:read", "webhooks:manage"],
    });
    for (const [method, path, body] of [
      ["POST", "/api-keys", { name: "mine", scopes: ["leads:convert"] }],
      ["GET", "/api-keys", undefined],
      ["DELETE", `/api-keys/${key.id}`, undefined],
    ] as const) {
      const { res, dbCalls } = await manage(method, path, `Bearer ${key.key}`, body);
      const problem = await expectProblem(res, 403, "forbidden");
      expect(problem.detail).toMatch(/keys cannot manage keys/i);
      expect(dbCalls).toBe(0);
    }
    expect((await readApiKey(database.db, key.id))?.revokedAt).toBeNull();
  });

  it("a key on the webhook endpoints and events API is judged by the request's own database request (not refused up front)", async () => {
    const entity = await givenEntity(database.db);
    const manager = await givenApiKey(database.db, entity.id, { scopes: ["webhooks:manage", "events:read"] });
    const converter = await givenApiKey(database.db, entity.id, { scopes: ["leads:convert"] });
    for (const [method, path] of [
      ["GET", "/webhook-endpoints"],
      ["GET", "/events"],
      ["GET", `/events/${crypto.randomUUID()}/deliveries`],
    ] as const) {
      const allowed = await manage(method, path, `Bearer ${manager.key}`);
      expect([allowed.res.status, allowed.dbCalls]).toEqual([path.endsWith("deliveries") ? 404 : 200, 1]);
      const refused = await manage(method, path, `Bearer ${converter.key}`);
      await expectProblem(refused.res, 403, "insufficient_scope");
      expect(refused.dbCalls).toBe(1);
    }
  });

  it("a malformed key on /api-keys is 401, not 403", async () => {
    const { res, dbCalls } = await manage("GET", "/api-keys", `Bearer lck_${"0".repeat(43)}_000000`);
    await expectProblem(res, 401, "unauthorized");
    expect(dbCalls).toBe(0);
  });
});

describe("what a key leaves behind", () => {
  it("a conversion with a key records the key's id as the audit's subject and touches last_used_at in the same batch", async () => {
    const result = await withKey((id) => keyOf(id, { expiresAt: inTheFuture() }));
    expect(result.res.status).toBe(200);
    expect(result.dbCalls).toBe(1);
    const [audit] = await auditFor(database.db, result.lead.id);
    expect(audit?.subject).toMatch(/^api_key:[0-9a-f-]{36}$/);
    const key = await readApiKey(database.db, audit!.subject.slice("api_key:".length));
    expect(key?.lastUsedAt).toBe(audit!.convertedAt);
    expect((await jsonOf(result.res))._id).toBe(audit!.clientId);
  });

  it("a revoked key's last_used_at is left alone", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const revoked = await givenApiKey(database.db, entity.id, { revokedAt: inThePast() });
    await app.request(CONVERT_PATH, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${revoked.key}` },
      body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
    });
    expect((await readApiKey(database.db, revoked.id))?.lastUsedAt).toBeNull();
  });

  it("no key appears in any log line, and the database holds only hashes", async () => {
    const text = logs.text();
    for (const key of keysSent.filter((k) => k.startsWith("lck_") && k.length > 20)) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(key.slice(4));
    }
    const rows = await database.db.$client.execute("select * from api_keys");
    const dump = JSON.stringify(rows.rows);
    for (const key of keysSent.filter((k) => k.startsWith("lck_"))) expect(dump).not.toContain(key);
  });
});

async function readEntityEcosystem(entityId: string) {
  const rows = await database.db.$client.execute({
    sql: "select ecosystem_id from financial_entities where id = ?",
    args: [entityId],
  });
  return rows.rows[0]?.ecosystem_id as string | undefined;
}
