import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { findInvariantViolations } from "../../src/db/invariants";
import { PROBLEMS } from "../../src/http/problem";
import { givenClient, givenConvertibleLead, givenEcosystem, givenEntity, givenLead } from "../support/builders";
import { countingDatabase, createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { CONVERT_PATH, PROBLEM_KEYS } from "../support/requests";
import { nowSeconds, TEST_SECRET, tokenFor } from "../support/tokens";

// Property-based: thousands of hostile requests, none of which may produce a
// 5xx, leave the problem shape, leak internals, or change the data. Many are
// aimed at real rows: a lead the entity could convert (attacked with tokens
// that may not convert it), and leads each refused for a reason only the
// database knows (so those requests reach it, and must write nothing).

let database: TestDatabase;
let counted: ReturnType<typeof countingDatabase>;
let app: ReturnType<typeof createApp>;
const logs = silentLogger();
let entityId: string;
let leadId: string;
/** Real (lead, entity) pairs the database must refuse, whatever the body looks like. */
let refusedPairs: { lead_id: string; financial_entity_id: string }[];
let tokens: { valid: string; otherEntity: string; expired: string; noScope: string; forged: string; suspended: string };

beforeAll(async () => {
  database = await createTestDatabase();
  counted = countingDatabase(database.db.$client);
  app = createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: logs });
  const { entity, lead } = await givenConvertibleLead(database.db);
  entityId = entity.id;
  leadId = lead.id;
  const db = database.db;
  const rival = await givenEntity(db, { ecosystemId: entity.ecosystemId });
  const suspended = await givenEntity(db, { ecosystemId: entity.ecosystemId, status: "suspended" });
  const twin = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "800.555.111-3" });
  await givenClient(db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId, nit: "800555111" });
  refusedPairs = [
    {
      lead_id: (await givenLead(db, { ecosystemId: entity.ecosystemId, financialEntityId: rival.id })).id,
      financial_entity_id: entity.id,
    },
    {
      lead_id: (await givenLead(db, { ecosystemId: (await givenEcosystem(db)).id })).id,
      financial_entity_id: entity.id,
    },
    { lead_id: twin.id, financial_entity_id: entity.id },
    { lead_id: (await givenLead(db, { ecosystemId: entity.ecosystemId })).id, financial_entity_id: suspended.id },
  ];
  const valid = await tokenFor(entity.id);
  tokens = {
    valid,
    otherEntity: await tokenFor(rival.id),
    expired: await tokenFor(entity.id, { exp: nowSeconds() - 3600 }),
    noScope: await tokenFor(entity.id, { scope: "nothing" }),
    forged: `${valid.slice(0, valid.lastIndexOf(".") + 1)}${"A".repeat(43)}`,
    suspended: await tokenFor(suspended.id),
  };
});
afterAll(() => database.close());

/** Every row that a conversion would touch, in full: any write shows. */
async function dataFingerprint() {
  const all = async (table: string) =>
    (await database.db.$client.execute(`select * from ${table} order by id`)).rows.map((r) => ({ ...r }));
  return { leads: await all("leads"), clients: await all("clients"), audits: await all("lead_conversions") };
}

const CODES = new Set(Object.keys(PROBLEMS));
const LEAKS =
  /sqlite|select |insert |update |drizzle|libsql|hrana|\bat [\w.<>]+ \(|node_modules|TypeError|RangeError|SyntaxError/i;

/** The answers only the database can give: exactly one call each. Every other answer makes none. */
const DATABASE_CODES = new Set([
  "financial_entity_not_found",
  "financial_entity_suspended",
  "lead_not_found",
  "lead_assigned_to_other_entity",
  "lead_already_converted",
  "client_already_exists",
]);

/** The invariant every answer keeps, whatever was sent. */
async function expectSafeAnswer(res: Response, callsBefore: number) {
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
  expect(counted.calls() - callsBefore, `${body.code}: database calls`).toBe(
    DATABASE_CODES.has(String(body.code)) ? 1 : 0,
  );
}

/** A request body aimed at a real pair: ids in either case, in hostile shapes and with hostile extras. */
const aimedBody = (pair: () => { lead_id: string; financial_entity_id: string }) =>
  fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 6 }), nasty).map(([upper, shape, junk]) => {
    const { lead_id, financial_entity_id } = pair();
    const ids = upper
      ? { lead_id: lead_id.toUpperCase(), financial_entity_id: financial_entity_id.toUpperCase() }
      : { lead_id, financial_entity_id };
    switch (shape) {
      case 0:
        return JSON.stringify(ids);
      case 1:
        return JSON.stringify({ ...ids, extra: junk, nested: { deep: [junk] } });
      case 2:
        return `{"lead_id":${JSON.stringify(junk)},"lead_id":"${ids.lead_id}","financial_entity_id":"${ids.financial_entity_id}"}`;
      case 3:
        return `{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"lead_id":"${ids.lead_id}","financial_entity_id":"${ids.financial_entity_id}"}`;
      case 4:
        return JSON.stringify({ ...ids, padding: "p".repeat(17_000) });
      case 5:
        return JSON.stringify([ids]);
      default:
        return `${JSON.stringify(ids)}${junk}`;
    }
  });

const uuidish = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constant("00000000-0000-0000-0000-000000000000"),
);
const nasty = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme-composite" }),
  fc.constantFrom(
    "\u0000",
    "\uD800",
    "\u202Egnp.exe",
    "💸",
    "' OR 1=1 --",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "<script>",
  ),
  fc.string().map((s) => `${s}\u0000${s}`),
);
const hugeNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324, -0),
  fc.bigInt().map((n) => Number(n)),
);
const idValue = fc.oneof(
  uuidish,
  nasty,
  hugeNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(uuidish, { maxLength: 3 }),
  fc.dictionary(fc.string(), uuidish, { maxKeys: 3 }),
);

/** Bodies: parsed-looking objects, near-misses, and raw text JSON.stringify would never produce. */
const body = fc.oneof(
  fc.record({ lead_id: idValue, financial_entity_id: idValue }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.record({ lead_id: uuidish, financial_entity_id: fc.constant("ENTITY") }).map((o) => JSON.stringify(o)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.integer({ min: 1, max: 7_000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc.integer({ min: 1, max: 2_000 }).map((depth) => `${'{"lead_id":'.repeat(depth)}1${"}".repeat(depth)}`),
  fc
    .tuple(uuidish, nasty)
    .map(([id, junk]) => `{"lead_id":"${id}","lead_id":${JSON.stringify(junk)},"financial_entity_id":"ENTITY"}`),
  uuidish.map(
    (id) =>
      `{"__proto__":{"lead_id":"${id}","financial_entity_id":"ENTITY"},"constructor":{"prototype":{"isAdmin":true}}}`,
  ),
  uuidish.map((id) => `[{"lead_id":"${id}","financial_entity_id":"ENTITY"}]`),
  fc.constantFrom("", " ", "null", "true", "{", "}", '{"lead_id":}', "\u0000", '{"lead_id":"\\ud800"}', "1e99999"),
  fc.integer({ min: 16_000, max: 20_000 }).map((size) => JSON.stringify({ lead_id: "x", pad: "y".repeat(size) })),
);

const contentType = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json, text/plain",
    "application/jsonp",
    "",
  ),
  fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz/;=+-. ".split("")) }),
  fc.constant(undefined),
);

const authorization = fc.oneof(
  fc
    .constantFrom("valid", "otherEntity", "expired", "noScope")
    .map((kind) => [`Bearer ${tokens[kind as keyof typeof tokens]}`]),
  fc.constantFrom("valid").map(() => [`bearer ${tokens.valid}`, `Bearer ${tokens.valid}`]),
  fc.string({ unit: fc.constantFrom(..."ABCxyz012.-_~+/= ".split("")) }).map((s) => [`Bearer ${s}`]),
  fc.string({ unit: fc.constantFrom(..."ABCxyz012.-_~+/=: ".split("")), maxLength: 300 }).map((s) => [s]),
  fc.constant([] as string[]),
);

async function send(rawBody: string, type: string | undefined, auth: readonly string[], method = "POST") {
  const headers = new Headers();
  if (type !== undefined) headers.set("Content-Type", type);
  for (const value of auth) headers.append("Authorization", value);
  return app.request(CONVERT_PATH, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : rawBody.replaceAll("ENTITY", entityId),
  });
}

/** Sends, then checks the answer and the database calls it made. */
async function sendSafely(rawBody: string, type: string | undefined, auth: readonly string[], method = "POST") {
  const before = counted.calls();
  await expectSafeAnswer(await send(rawBody, type, auth, method), before);
}

describe("hostile input", () => {
  it("never a 5xx, always the problem shape, for 6,000 hostile bodies with a valid token", async () => {
    const before = await dataFingerprint();
    const refused = fc.integer({ min: 0, max: 3 }).chain((i) => aimedBody(() => refusedPairs[i]!));
    await fc.assert(
      fc.asyncProperty(fc.oneof(body, refused), contentType, fc.boolean(), async (raw, type, asSuspended) => {
        const token =
          asSuspended && raw.includes(refusedPairs[3]!.financial_entity_id) ? tokens.suspended : tokens.valid;
        await sendSafely(raw, type ?? "application/json", [`Bearer ${token}`]);
      }),
      { numRuns: 6_000 },
    );
    expect(await dataFingerprint()).toEqual(before);
  }, 120_000);

  it("never converts the real lead for 2,000 requests whose token may not, in any shape", async () => {
    const before = await dataFingerprint();
    const mayNotConvert = fc.oneof(
      fc
        .constantFrom("otherEntity", "expired", "noScope", "forged", "suspended")
        .map((kind) => [`Bearer ${tokens[kind as keyof typeof tokens]}`]),
      fc.constant([`Bearer ${tokens.valid}`, `Bearer ${tokens.valid}`]),
      fc.constant([`Basic ${tokens.valid}`]),
      fc.constant([tokens.valid]),
      fc.constant([] as string[]),
    );
    await fc.assert(
      fc.asyncProperty(
        aimedBody(() => ({ lead_id: leadId, financial_entity_id: entityId })),
        contentType,
        mayNotConvert,
        fc.constantFrom("POST", "POST", "PUT", "PATCH"),
        async (raw, type, auth, method) => {
          await sendSafely(raw, type ?? "application/json", auth, method);
        },
      ),
      { numRuns: 2_000 },
    );
    expect(await dataFingerprint()).toEqual(before);
  }, 120_000);

  it("never a 5xx, always the problem shape, for 4,000 hostile header, method and body combinations", async () => {
    const before = await dataFingerprint();
    await fc.assert(
      fc.asyncProperty(
        body,
        contentType,
        authorization,
        fc.constantFrom("POST", "POST", "POST", "PUT", "GET", "DELETE", "PATCH"),
        async (raw, type, auth, method) => {
          await sendSafely(raw, type, auth, method);
        },
      ),
      { numRuns: 4_000 },
    );
    expect(await dataFingerprint()).toEqual(before);
  }, 120_000);

  it("leaves the data sound and the seeded lead untouched", async () => {
    expect(await findInvariantViolations(database.db)).toEqual([]);
    const [row] = await database.db.$client
      .execute({ sql: "select converted_client_id from leads where id = ?", args: [leadId] })
      .then((r) => r.rows);
    expect(row?.converted_client_id).toBeNull();
  });

  it("logs every request it answers, with no token in any record", async () => {
    const from = logs.records.length;
    // Refused bodies and a lead that does not exist: each token reaches every check and the database, and none converts.
    const bodies = ["{", JSON.stringify({ lead_id: crypto.randomUUID(), financial_entity_id: entityId })];
    let sent = 0;
    for (const token of Object.values(tokens)) {
      for (const auth of [[`Bearer ${token}`], [token], [`Basic ${token}`], [`Bearer ${token}`, `Bearer ${token}`]]) {
        for (const body of bodies) {
          await sendSafely(body, "application/json", auth);
          sent += 1;
        }
      }
    }
    const records = logs.records.slice(from);
    expect(records.length).toBeGreaterThanOrEqual(sent);
    const text = records.map((record) => JSON.stringify(record)).join("\n");
    for (const token of Object.values(tokens)) expect(text).not.toContain(token);
  });

  it("would notice a write: the fingerprint and the call counter see one real conversion", async () => {
    const { entity, lead } = await givenConvertibleLead(database.db);
    const before = await dataFingerprint();
    const calls = counted.calls();

    const res = await send(JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }), "application/json", [
      `Bearer ${await tokenFor(entity.id)}`,
    ]);

    expect(res.status).toBe(200);
    expect(counted.calls() - calls).toBe(1);
    expect(await dataFingerprint()).not.toEqual(before);
  });
});
