import { createHmac } from "node:crypto";
import { sign } from "hono/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { expectProblem } from "../../contract/expect";
import { auditFor, givenConvertibleLead, givenEntity, writesFor } from "../../support/builders";
import { countingDatabase, createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { CONVERT_PATH, jsonOf } from "../../support/requests";
import { nowSeconds, TEST_SECRET, tokenFor } from "../../support/tokens";

const ISSUER = "https://id.example.com/";
const AUDIENCE = "lead-conversion-api";

const b64url = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** A token with any header, any payload, signed with HMAC-SHA256 under `secret` (or unsigned). */
function handmade(header: Record<string, unknown>, payload: unknown, secret: string | null = TEST_SECRET): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = secret === null ? "" : createHmac("sha256", secret).update(input).digest("base64url");
  return `${input}.${signature}`;
}

let database: TestDatabase;
let counted: ReturnType<typeof countingDatabase>;
const logs = silentLogger();
let app: ReturnType<typeof createApp>;
let strictApp: ReturnType<typeof createApp>;
const tokensSent: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  counted = countingDatabase(database.db.$client);
  app = createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: logs });
  strictApp = createApp({
    db: counted.db,
    auth: { secret: TEST_SECRET, issuer: ISSUER, audience: AUDIENCE },
    logger: logs,
  });
});

afterAll(() => database.close());

type Authorization = string | string[] | null;

/** Converts a fresh lead of a fresh entity with the Authorization the attack builds for that entity. */
async function attempt(
  authorizationFor: (entityId: string) => Promise<Authorization> | Authorization,
  options: { strict?: boolean; query?: string } = {},
) {
  const { entity, lead } = await givenConvertibleLead(database.db);
  const headers = new Headers({ "Content-Type": "application/json" });
  for (const value of [(await authorizationFor(entity.id)) ?? []].flat()) {
    headers.append("Authorization", value);
    tokensSent.push(value.replace(/^bearer\s+/i, ""));
  }
  counted.reset();
  const res = await (options.strict ? strictApp : app).request(`${CONVERT_PATH}${options.query ?? ""}`, {
    method: "POST",
    headers,
    body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
  });
  return { res, lead, dbCalls: counted.calls() };
}

const attemptWith = (makeToken: (entityId: string) => Promise<string> | string, options: { strict?: boolean } = {}) =>
  attempt(async (id) => `Bearer ${await makeToken(id)}`, options);

/** The attack is refused with 401, the database is never asked, and nothing is written. */
async function expectRejected(result: Awaited<ReturnType<typeof attempt>>, challenge = /error="invalid_token"/) {
  expect(result.res.headers.get("www-authenticate")).toMatch(challenge);
  await expectProblem(result.res, 401, "unauthorized");
  expect(result.dbCalls).toBe(0);
  expect(await writesFor(database.db, result.lead.id)).toEqual({ clients: 0, audits: 0 });
}

const claims = (entityId: string, extra: Record<string, unknown> = {}) => ({
  sub: entityId,
  iat: nowSeconds(),
  exp: nowSeconds() + 300,
  ...extra,
});

describe("token attacks (RFC 8725) — each refused without touching the database", () => {
  it("alg none, unsigned", async () => {
    await expectRejected(await attemptWith((id) => handmade({ alg: "none", typ: "JWT" }, claims(id), null)));
  });

  it("alg none with a signature anyway", async () => {
    await expectRejected(await attemptWith((id) => handmade({ alg: "none", typ: "JWT" }, claims(id))));
  });

  it("alg switched to HS512, signed with the real secret", async () => {
    await expectRejected(await attemptWith((id) => sign(claims(id), TEST_SECRET, "HS512")));
  });

  it("alg switched to RS256 over an HMAC signature (key confusion)", async () => {
    await expectRejected(await attemptWith((id) => handmade({ alg: "RS256", typ: "JWT" }, claims(id))));
  });

  it("a wrong secret", async () => {
    await expectRejected(
      await attemptWith((id) => sign(claims(id), "a-completely-different-secret-of-32-bytes", "HS256")),
    );
  });

  it("an empty secret", async () => {
    await expectRejected(await attemptWith((id) => handmade({ alg: "HS256", typ: "JWT" }, claims(id), "")));
  });

  it("a tampered payload under the original signature", async () => {
    await expectRejected(
      await attemptWith(async (id) => {
        const [header, , signature] = (await tokenFor(crypto.randomUUID())).split(".");
        return `${header}.${b64url(claims(id))}.${signature}`;
      }),
    );
  });

  it("a tampered signature", async () => {
    await expectRejected(
      await attemptWith(async (id) => {
        const token = await tokenFor(id);
        const flipped = token.at(-2) === "A" ? "B" : "A";
        return `${token.slice(0, -2)}${flipped}${token.at(-1)}`;
      }),
    );
  });

  it("a token that is not three base64url parts", async () => {
    await expectRejected(await attemptWith(() => "abc.def"));
    await expectRejected(await attemptWith(() => "%%%.%%%.%%%"), /Bearer realm/);
  });

  it("a payload that is not a JSON object", async () => {
    await expectRejected(await attemptWith(() => handmade({ alg: "HS256", typ: "JWT" }, [1, 2, 3])));
    await expectRejected(await attemptWith(() => handmade({ alg: "HS256", typ: "JWT" }, "null")));
  });

  it("no exp claim", async () => {
    await expectRejected(await attemptWith((id) => tokenFor(id, { exp: undefined })));
  });

  it("an exp that is not a number", async () => {
    await expectRejected(await attemptWith((id) => tokenFor(id, { exp: String(nowSeconds() + 300) })));
  });

  it("expired beyond the 60 s skew", async () => {
    await expectRejected(await attemptWith((id) => tokenFor(id, { exp: nowSeconds() - 90 })));
  });

  it("nbf in the future beyond the 60 s skew", async () => {
    await expectRejected(await attemptWith((id) => tokenFor(id, { nbf: nowSeconds() + 90 })));
  });

  it("iat in the future beyond the 60 s skew", async () => {
    await expectRejected(await attemptWith((id) => tokenFor(id, { iat: nowSeconds() + 90 })));
  });

  it("a wrong iss when an issuer is configured", async () => {
    await expectRejected(
      await attemptWith((id) => tokenFor(id, { iss: "https://evil.example.com/", aud: AUDIENCE }), { strict: true }),
    );
  });

  it("a missing iss when an issuer is configured", async () => {
    await expectRejected(await attemptWith((id) => tokenFor(id, { aud: AUDIENCE }), { strict: true }));
  });

  it("a wrong aud when an audience is configured", async () => {
    await expectRejected(
      await attemptWith((id) => tokenFor(id, { iss: ISSUER, aud: "another-api" }), { strict: true }),
    );
  });

  it("a missing aud when an audience is configured", async () => {
    await expectRejected(await attemptWith((id) => tokenFor(id, { iss: ISSUER }), { strict: true }));
  });

  it("a sub that is not a UUID", async () => {
    await expectRejected(await attemptWith(() => tokenFor("admin")));
  });

  it("a financial_entity_id claim that is not a UUID, even with a good sub", async () => {
    await expectRejected(await attemptWith((id) => tokenFor(id, { financial_entity_id: "everyone" })));
  });

  it("Bearer without a token", async () => {
    await expectRejected(await attempt(() => "Bearer "), /^Bearer realm="turn-lead-into-client"$/);
  });

  it("two Authorization headers", async () => {
    await expectRejected(await attempt(async (id) => [`Bearer ${await tokenFor(id)}`, `Bearer ${await tokenFor(id)}`]));
  });

  it("a token in the query string is ignored", async () => {
    const entity = await givenEntity(database.db);
    const token = await tokenFor(entity.id);
    tokensSent.push(token);
    await expectRejected(
      await attempt(() => null, { query: `?access_token=${token}&token=${token}` }),
      /^Bearer realm=/,
    );
  });

  it("a valid token for another entity is 403 forbidden, still without the database", async () => {
    const result = await attemptWith(() => tokenFor(crypto.randomUUID()));
    await expectProblem(result.res, 403, "forbidden");
    expect(result.dbCalls).toBe(0);
  });

  it("a valid token without the leads:convert scope is 403 insufficient_scope, still without the database", async () => {
    const result = await attemptWith((id) => tokenFor(id, { scope: "leads:read" }));
    await expectProblem(result.res, 403, "insufficient_scope");
    expect(result.dbCalls).toBe(0);
  });
});

describe("tokens that must be accepted", () => {
  const accepted = async (result: Awaited<ReturnType<typeof attempt>>) => {
    expect(result.res.status, await result.res.clone().text()).toBe(200);
    expect(result.dbCalls).toBe(1);
  };

  it("an exp that passed less than 60 s ago (clock skew)", async () => {
    await accepted(await attemptWith((id) => tokenFor(id, { exp: nowSeconds() - 30 })));
  });

  it("an nbf less than 60 s ahead (clock skew)", async () => {
    await accepted(await attemptWith((id) => tokenFor(id, { nbf: nowSeconds() + 30, iat: nowSeconds() + 30 })));
  });

  it("the configured iss and aud (aud may be a list)", async () => {
    await accepted(
      await attemptWith((id) => tokenFor(id, { iss: ISSUER, aud: ["other", AUDIENCE] }), { strict: true }),
    );
  });

  it("financial_entity_id taking precedence over a non-UUID sub", async () => {
    await accepted(await attemptWith((id) => tokenFor(id, { sub: "service-account-7", financial_entity_id: id })));
  });

  for (const scheme of ["bearer ", "BEARER ", "Bearer    "]) {
    it(`the scheme written as ${JSON.stringify(scheme)} (case-insensitive, one or more spaces)`, async () => {
      await accepted(await attempt(async (id) => `${scheme}${await tokenFor(id)}`));
    });
  }
});

describe("a bad signature tells nothing about the claims (signature first)", () => {
  const FORGER = "a-forger-guessing-with-a-32-byte-secret!";
  const forged = (iss: string | undefined, aud: string | undefined) => (id: string) =>
    tokenFor(id, { iss, aud }, FORGER);

  it("the same detail and challenge whether the guessed issuer and audience are right or wrong", async () => {
    const answers = [];
    for (const [iss, aud] of [
      [ISSUER, AUDIENCE],
      ["https://evil.example.com/", AUDIENCE],
      [ISSUER, "another-api"],
      [undefined, undefined],
    ] as const) {
      const result = await attemptWith(forged(iss, aud), { strict: true });
      const body = await jsonOf(result.res.clone());
      await expectRejected(result);
      answers.push({ detail: body.detail, challenge: result.res.headers.get("www-authenticate") });
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it("an expired, not-yet-valid or entity-less forgery gets the same answer as any other", async () => {
    const details = new Set<string>();
    for (const extra of [{}, { exp: nowSeconds() - 600 }, { nbf: nowSeconds() + 600 }, { sub: 42 }, { scope: ["x"] }]) {
      const result = await attemptWith((id) => tokenFor(id, extra, FORGER));
      details.add(`${(await jsonOf(result.res.clone())).detail} | ${result.res.headers.get("www-authenticate")}`);
      await expectRejected(result);
    }
    expect([...details]).toHaveLength(1);
  });
});

describe("the JOSE header's typ (RFC 9068)", () => {
  for (const typ of ["at+jwt", "AT+JWT", "application/at+jwt", "JWT", "jwt", "application/JWT"]) {
    it(`typ ${JSON.stringify(typ)} is accepted`, async () => {
      const result = await attemptWith((id) => handmade({ alg: "HS256", typ }, claims(id)));
      expect(result.res.status, await result.res.clone().text()).toBe(200);
    });
  }

  it("no typ at all is accepted", async () => {
    const result = await attemptWith((id) => handmade({ alg: "HS256" }, claims(id)));
    expect(result.res.status).toBe(200);
  });

  for (const typ of ["JOSE", "secevent+jwt", "application/jose+json", "", 1]) {
    it(`typ ${JSON.stringify(typ)} is refused, with a detail about the type`, async () => {
      const result = await attemptWith((id) => handmade({ alg: "HS256", typ }, claims(id)));
      expect((await jsonOf(result.res.clone())).detail).toMatch(/typ/);
      await expectRejected(result);
    });
  }
});

describe("scope and scp", () => {
  const status = async (extra: Record<string, unknown>) => {
    const result = await attemptWith((id) => tokenFor(id, { scope: undefined, ...extra }));
    if (result.res.status !== 200) expect(result.dbCalls).toBe(0);
    return result.res.status;
  };

  it("scope as an array of strings", async () => {
    expect(await status({ scope: ["leads:read", "leads:convert"] })).toBe(200);
    expect(await status({ scope: ["leads:read"] })).toBe(403);
  });

  it("scp, as a string or an array, when there is no scope", async () => {
    expect(await status({ scp: "leads:read leads:convert" })).toBe(200);
    expect(await status({ scp: ["leads:convert"] })).toBe(200);
    expect(await status({ scp: "leads:read" })).toBe(403);
    expect(await status({ scp: ["leads:read"] })).toBe(403);
  });

  it("scope wins over scp", async () => {
    expect(await status({ scope: "leads:read", scp: "leads:convert" })).toBe(403);
  });

  it("a scope of any other shape grants nothing", async () => {
    expect(await status({ scope: [1, "leads:convert"] })).toBe(403);
    expect(await status({ scope: { "leads:convert": true } })).toBe(403);
    expect(await status({ scp: null })).toBe(403);
  });
});

describe("sub", () => {
  it("a sub that is not a string is refused, even with a good financial_entity_id", async () => {
    for (const sub of [12345, true, null, ["a"]]) {
      await expectRejected(await attemptWith((id) => tokenFor(id, { sub, financial_entity_id: id })));
    }
  });

  it("the audit keeps the sub as sent", async () => {
    const result = await attemptWith((id) => tokenFor(id, { sub: "Service-Account-7", financial_entity_id: id }));
    expect(result.res.status).toBe(200);
    const [audit] = await auditFor(database.db, result.lead.id);
    expect(audit?.subject).toBe("Service-Account-7");
  });
});

describe("whitespace around the Authorization value (RFC 9110 OWS)", () => {
  /** The request's headers as a runtime that keeps the bytes around a field value hands them over. */
  const untrimmed = (headers: Headers, authorization: string) =>
    new Proxy(headers, {
      get(target, property) {
        if (property === "get")
          return (name: string) => (name.toLowerCase() === "authorization" ? authorization : target.get(name));
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });

  for (const [before, after] of [
    ["", " "],
    ["", "\t"],
    [" \t", "  "],
  ]) {
    it(`is ignored: ${JSON.stringify(`${before}Bearer <token>${after}`)}`, async () => {
      const { entity, lead } = await givenConvertibleLead(database.db);
      const body = JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id });
      // With its length declared, the body-size check reads the request as it is instead of rewrapping it.
      const request = new Request(`http://localhost${CONVERT_PATH}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": String(body.length) },
        body,
      });
      const authorization = `${before}Bearer ${await tokenFor(entity.id)}${after}`;
      Object.defineProperty(request, "headers", { value: untrimmed(request.headers, authorization) });

      const res = await app.fetch(request);
      expect(res.status, await res.clone().text()).toBe(200);
    });
  }
});

describe("what a token never leaves behind", () => {
  it("no token appears in any log line", () => {
    const text = logs.text();
    for (const token of tokensSent.filter((t) => t.length > 10)) expect(text).not.toContain(token);
  });
});

describe("the 60 s clock-skew edges (on a fixed clock)", () => {
  const T = 1_900_000_000;
  const at = async (claims: Record<string, unknown>) => {
    const fixed = createApp({ db: counted.db, auth: { secret: TEST_SECRET, now: () => T * 1000 }, logger: logs });
    const { entity, lead } = await givenConvertibleLead(database.db);
    const token = await tokenFor(entity.id, { iat: T - 10, exp: T + 300, ...claims });
    const res = await fixed.request(CONVERT_PATH, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
    });
    return res.status;
  };

  it("exp 59 s ago is accepted; exp 60 s ago is refused", async () => {
    expect(await at({ exp: T - 59 })).toBe(200);
    expect(await at({ exp: T - 60 })).toBe(401);
  });

  it("nbf 60 s ahead is accepted; nbf 61 s ahead is refused", async () => {
    expect(await at({ nbf: T + 60 })).toBe(200);
    expect(await at({ nbf: T + 61 })).toBe(401);
  });

  it("iat 60 s ahead is accepted; iat 61 s ahead is refused", async () => {
    expect(await at({ iat: T + 60 })).toBe(200);
    expect(await at({ iat: T + 61 })).toBe(401);
  });
});

describe("a token verified once", () => {
  it("is refused once it expires, even though it was accepted before", async () => {
    let clock = 1_900_000_000_000;
    const app2 = createApp({ db: counted.db, auth: { secret: TEST_SECRET, now: () => clock }, logger: logs });
    const { entity, lead } = await givenConvertibleLead(database.db);
    const token = await tokenFor(entity.id, { iat: clock / 1000, exp: clock / 1000 + 120 });
    const send = () =>
      app2.request(CONVERT_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
      });

    expect((await send()).status).toBe(200);
    clock += 150_000;
    expect((await send()).status).toBe(200);
    clock += 40_000;
    await expectProblem(await send(), 401, "unauthorized");
  });
});
