import { count } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { findInvariantViolations } from "../../src/db/invariants";
import { clients, leadConversions, leads } from "../../src/db/schema";
import { PROBLEMS } from "../../src/http/problem";
import { givenConvertibleLead } from "../support/builders";
import { countingDatabase, createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { CONVERT_PATH, PROBLEM_KEYS } from "../support/requests";
import { nowSeconds, TEST_SECRET, tokenFor } from "../support/tokens";

// Property-based: thousands of hostile requests, none of which may produce a
// 5xx, leave the problem shape, leak internals, or change the data.

let database: TestDatabase;
let app: ReturnType<typeof createApp>;
const logs = silentLogger();
let entityId: string;
let leadId: string;
let tokens: { valid: string; otherEntity: string; expired: string; noScope: string };

beforeAll(async () => {
  database = await createTestDatabase();
  app = createApp({ db: countingDatabase(database.db.$client).db, auth: { secret: TEST_SECRET }, logger: logs });
  const { entity, lead } = await givenConvertibleLead(database.db);
  entityId = entity.id;
  leadId = lead.id;
  tokens = {
    valid: await tokenFor(entity.id),
    otherEntity: await tokenFor(crypto.randomUUID()),
    expired: await tokenFor(entity.id, { exp: nowSeconds() - 3600 }),
    noScope: await tokenFor(entity.id, { scope: "nothing" }),
  };
});
afterAll(() => database.close());

async function dataFingerprint() {
  const n = async (table: typeof clients | typeof leadConversions | typeof leads) =>
    (await database.db.select({ n: count() }).from(table))[0]!.n;
  const converted = await database.db.$client.execute("select count(*) as n from leads where converted_client_id is not null");
  return { clients: await n(clients), audits: await n(leadConversions), leads: await n(leads), converted: converted.rows[0]!.n };
}

const CODES = new Set(Object.keys(PROBLEMS));
const LEAKS = /sqlite|select |insert |update |drizzle|libsql|hrana|\bat [\w.<>]+ \(|node_modules|TypeError|RangeError|SyntaxError/i;

/** The invariant every answer keeps, whatever was sent. */
async function expectSafeAnswer(res: Response) {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  expect(res.status).not.toBe(200);
  expect(res.headers.get("x-request-id")).toBeTruthy();
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).slice(0, PROBLEM_KEYS.length)).toEqual(PROBLEM_KEYS);
  expect(CODES.has(String(body.code))).toBe(true);
  expect(body.status).toBe(res.status);
  expect(text).not.toMatch(LEAKS);
}

const uuidish = fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.constant("00000000-0000-0000-0000-000000000000"));
const nasty = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme-composite" }),
  fc.constantFrom("\u0000", "\uD800", "\u202Egnp.exe", "💸", "' OR 1=1 --", "${jndi:ldap://x}", "../../etc/passwd", "<script>"),
  fc.string().map((s) => `${s}\u0000${s}`),
);
const hugeNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324, -0),
  fc.bigInt().map((n) => Number(n)),
);
const idValue = fc.oneof(uuidish, nasty, hugeNumber, fc.boolean(), fc.constant(null), fc.array(uuidish, { maxLength: 3 }), fc.dictionary(fc.string(), uuidish, { maxKeys: 3 }));

/** Bodies: parsed-looking objects, near-misses, and raw text JSON.stringify would never produce. */
const body = fc.oneof(
  fc.record({ lead_id: idValue, financial_entity_id: idValue }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.record({ lead_id: uuidish, financial_entity_id: fc.constant("ENTITY") }).map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.integer({ min: 1, max: 7_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc.integer({ min: 1, max: 2_000 }).map((depth) => `${'{"lead_id":'.repeat(depth)}1${"}".repeat(depth)}`),
  fc.tuple(uuidish, nasty).map(([id, junk]) => `{"lead_id":"${id}","lead_id":${JSON.stringify(junk)},"financial_entity_id":"ENTITY"}`),
  uuidish.map((id) => `{"__proto__":{"lead_id":"${id}","financial_entity_id":"ENTITY"},"constructor":{"prototype":{"isAdmin":true}}}`),
  uuidish.map((id) => `[{"lead_id":"${id}","financial_entity_id":"ENTITY"}]`),
  fc.constantFrom("", " ", "null", "true", "{", "}", '{"lead_id":}', "\u0000", '{"lead_id":"\\ud800"}', "1e99999"),
  fc.integer({ min: 16_000, max: 20_000 }).map((size) => JSON.stringify({ lead_id: "x", pad: "y".repeat(size) })),
);

const contentType = fc.oneof(
  fc.constantFrom("application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json, text/plain", "application/jsonp", ""),
  fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz/;=+-. ".split("")) }),
  fc.constant(undefined),
);

const authorization = fc.oneof(
  fc.constantFrom("valid", "otherEntity", "expired", "noScope").map((kind) => [`Bearer ${tokens[kind as keyof typeof tokens]}`]),
  fc.constantFrom("valid").map(() => [`bearer ${tokens.valid}`, `Bearer ${tokens.valid}`]),
  fc.string({ unit: fc.constantFrom(..."ABCxyz012.-_~+/= ".split("")) }).map((s) => [`Bearer ${s}`]),
  fc.string({ unit: fc.constantFrom(..."ABCxyz012.-_~+/=: ".split("")), maxLength: 300 }).map((s) => [s]),
  fc.constant([] as string[]),
);

async function send(rawBody: string, type: string | undefined, auth: string[], method = "POST") {
  const headers = new Headers();
  if (type !== undefined) headers.set("Content-Type", type);
  for (const value of auth) headers.append("Authorization", value);
  return app.request(CONVERT_PATH, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : rawBody.replaceAll("ENTITY", entityId),
  });
}

describe("hostile input", () => {
  it("never a 5xx, always the problem shape, for 6,000 hostile bodies with a valid token", async () => {
    const before = await dataFingerprint();
    await fc.assert(
      fc.asyncProperty(body, contentType, async (raw, type) => {
        await expectSafeAnswer(await send(raw, type ?? "application/json", [`Bearer ${tokens.valid}`]));
      }),
      { numRuns: 6_000 },
    );
    expect(await dataFingerprint()).toEqual(before);
  }, 120_000);

  it("never a 5xx, always the problem shape, for 4,000 hostile header, method and body combinations", async () => {
    const before = await dataFingerprint();
    await fc.assert(
      fc.asyncProperty(body, contentType, authorization, fc.constantFrom("POST", "POST", "POST", "PUT", "GET", "DELETE", "PATCH"), async (raw, type, auth, method) => {
        await expectSafeAnswer(await send(raw, type, auth, method));
      }),
      { numRuns: 4_000 },
    );
    expect(await dataFingerprint()).toEqual(before);
  }, 120_000);

  it("leaves the data sound and the seeded lead untouched, and logs no token", async () => {
    expect(await findInvariantViolations(database.db)).toEqual([]);
    const [row] = await database.db.$client.execute({ sql: "select converted_client_id from leads where id = ?", args: [leadId] }).then((r) => r.rows);
    expect(row?.converted_client_id).toBeNull();
    const text = logs.text();
    for (const token of Object.values(tokens)) expect(text).not.toContain(token);
  });
});
