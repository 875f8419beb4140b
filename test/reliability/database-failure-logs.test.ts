import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { openRemoteDatabase } from "../../src/db/client";
import { expectProblem } from "../contract/expect";
import { givenApiKey } from "../support/api-keys";
import { givenConvertibleLead } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { TEST_SECRET, tokenFor } from "../support/tokens";

// What a log line must never carry: SQL text, Drizzle's parameter dump, a key's hash or prefix, a NIT, an email, a
// token's `sub` (here an email, as identity providers often make it).
const SUBJECT = "ana.maria.lopez@example.com";
const NIT = "900123456-8";
const EMAIL = "ana.cliente@example.com";
const SQL_TEXT = /\b(select|insert into|update|delete from|values|where|params)\b/i;

interface Secrets {
  keyHash: string;
  keyPrefix: string;
  key: string;
}

/** One request of each kind of database call: conversion, bulk, keys, webhooks, reads — with a token and with a key. */
function requestsOfEveryKind(entityId: string, leadId: string, key: string) {
  const json = (body: unknown) => ({ "Content-Type": "application/json", body: JSON.stringify(body) });
  const send = (method: string, path: string, credential: string, body?: unknown) => ({
    method,
    path,
    credential,
    body: body === undefined ? undefined : json(body).body,
  });
  return async () => {
    const jwt = await tokenFor(entityId, { sub: SUBJECT, financial_entity_id: entityId, scope: undefined });
    const manager = await tokenFor(entityId, { sub: SUBJECT, financial_entity_id: entityId, scope: "keys:manage" });
    const conversion = { lead_id: leadId, financial_entity_id: entityId };
    const bulk = { lead_ids: [leadId, crypto.randomUUID()], financial_entity_id: entityId };
    return [
      send("POST", "/turn-lead-into-client", jwt, conversion),
      send("POST", "/turn-lead-into-client", key, conversion),
      send("POST", "/turn-leads-into-clients", jwt, bulk),
      send("POST", "/turn-leads-into-clients", key, bulk),
      send("POST", "/api-keys", manager, { name: "Zapier", scopes: ["leads:convert"] }),
      send("GET", "/api-keys", manager),
      send("DELETE", `/api-keys/${crypto.randomUUID()}`, manager),
      send("POST", "/webhook-endpoints", jwt, { url: "https://hooks.example.com/in" }),
      send("GET", "/webhook-endpoints", jwt),
      send("GET", "/webhook-endpoints", key),
      send("GET", "/events", jwt),
      send("GET", `/users/${crypto.randomUUID()}`, jwt),
      send("GET", `/users/${crypto.randomUUID()}`, key),
      send("GET", `/leads/${leadId}`, jwt),
      send("GET", `/leads/${leadId}`, key),
    ];
  };
}

async function sendAll(
  app: ReturnType<typeof createApp>,
  requests: Awaited<ReturnType<ReturnType<typeof requestsOfEveryKind>>>,
) {
  const answers = [];
  for (const { method, path, credential, body } of requests) {
    const res = await app.request(path, {
      method,
      headers: { Authorization: `Bearer ${credential}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body,
    });
    answers.push({ route: `${method} ${path.replace(/[0-9a-f-]{36}/g, "{id}")}`, res });
  }
  return answers;
}

function expectNothingSecretIn(lines: string, secrets: Secrets) {
  expect(lines).not.toMatch(SQL_TEXT);
  for (const value of [secrets.keyHash, secrets.keyPrefix, secrets.key, SUBJECT, NIT, EMAIL]) {
    expect(lines).not.toContain(value);
  }
  // No SHA-256 at all: the key created by POST /api-keys is one the test never sees.
  expect(lines).not.toMatch(/[0-9a-f]{64}/);
}

describe("when the database cannot be reached", () => {
  it("every route answers 503 service_unavailable with Retry-After — /api-keys too — and no log line quotes a query", async () => {
    const logger = silentLogger();
    const app = createApp({
      db: openRemoteDatabase({ url: "http://127.0.0.1:9", timeoutMs: 1_000 }),
      auth: { secret: TEST_SECRET },
      logger,
    });
    const entityId = crypto.randomUUID();
    const { key, hash, prefix } = await import("../../src/http/auth/integration-keys").then((m) =>
      m.generateIntegrationKey(),
    );
    const answers = await sendAll(app, await requestsOfEveryKind(entityId, crypto.randomUUID(), key)());
    for (const { route, res } of answers) {
      expect(res.status, route).toBe(503);
      expect(res.headers.get("retry-after"), route).toBe("1");
      await expectProblem(res, 503, "service_unavailable");
    }
    expect(logger.records.filter((r) => r.level === "error")).toHaveLength(answers.length);
    expectNothingSecretIn(logger.text(), { key, keyHash: hash, keyPrefix: prefix });
  });
});

describe("when every kind of database call fails with an SQL error", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  it("answers 500 and no log line carries SQL, parameters, a key's hash or prefix, a NIT, an email or a sub", async () => {
    const logger = silentLogger();
    const app = createApp({ db: database.db, auth: { secret: TEST_SECRET }, logger });
    const { entity, lead } = await givenConvertibleLead(database.db, { nit: NIT, email: EMAIL });
    const key = await givenApiKey(database.db, entity.id, {
      scopes: ["leads:convert", "leads:read", "users:read", "webhooks:manage"],
    });
    const requests = await requestsOfEveryKind(entity.id, lead.id, key.key)();
    // Every table the service reads or writes is gone: each call fails inside the engine, after Drizzle or the
    // client built its statement with every bound value.
    const tables = await database.db.$client.execute(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'",
    );
    await database.db.$client.execute("PRAGMA foreign_keys = OFF");
    for (const { name } of tables.rows) {
      await database.db.$client.execute(`ALTER TABLE "${String(name)}" RENAME TO "${String(name)}_gone"`);
    }
    const answers = await sendAll(app, requests);
    for (const { route, res } of answers) {
      expect(res.status, route).toBe(500);
      await expectProblem(res, 500, "internal_error");
    }
    expect(logger.records.filter((r) => r.level === "error")).toHaveLength(answers.length);
    expectNothingSecretIn(logger.text(), { key: key.key, keyHash: key.keyHash, keyPrefix: key.prefix });
  });
});
