import type { webcrypto } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sign } from "hono/jwt";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../../src/app";
import { parseEnv } from "../../../src/env";
import { authOptions, createJwksCache, type JwksAlgorithm, type JwksCacheOptions } from "../../../src/http/auth";
import { expectProblem } from "../../contract/expect";
import { givenConvertibleLead } from "../../support/builders";
import { createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { CONVERT_PATH, conversionRequest } from "../../support/requests";
import { startWorkerTarget } from "../../support/targets";
import { nowSeconds, TEST_SECRET, tokenFor } from "../../support/tokens";

type Jwk = webcrypto.JsonWebKey & { kid: string; alg: string };
type SigningKey = { kid: string; alg: string; privateJwk: Jwk; publicJwk: Jwk };

async function generateKey(alg: "RS256" | "RS384" | "ES256", kid: string): Promise<SigningKey> {
  const params =
    alg === "ES256"
      ? { name: "ECDSA", namedCurve: "P-256" }
      : {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: alg === "RS256" ? "SHA-256" : "SHA-384",
        };
  const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const privateJwk = { ...(await crypto.subtle.exportKey("jwk", pair.privateKey)), kid, alg } as Jwk;
  const publicJwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid, alg, use: "sig" } as Jwk;
  return { kid, alg, privateJwk, publicJwk };
}

/** A stand-in identity provider: serves whatever key set the test publishes, and counts fetches. */
class IdentityProvider {
  published: Jwk[] = [];
  fetches = 0;
  failing = false;
  /** How long the provider takes to answer. */
  delayMs = 0;
  private server: Server = createServer((_req, res) => {
    this.fetches += 1;
    const published = JSON.stringify({ keys: this.published });
    const failing = this.failing;
    setTimeout(() => {
      if (failing) return void res.writeHead(500).end("down");
      res.writeHead(200, { "Content-Type": "application/json" }).end(published);
    }, this.delayMs);
  });
  url = "";

  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  stop() {
    return new Promise((resolve) => this.server.close(resolve));
  }
}

let database: TestDatabase;
const idp = new IdentityProvider();
let rsa: SigningKey;
let ec: SigningKey;
let rs384: SigningKey;

beforeAll(async () => {
  database = await createTestDatabase();
  await idp.start();
  [rsa, ec, rs384] = await Promise.all([
    generateKey("RS256", "rsa-1"),
    generateKey("ES256", "ec-1"),
    generateKey("RS384", "rsa-384"),
  ]);
  idp.published = [rsa.publicJwk, ec.publicJwk, rs384.publicJwk];
});

afterEach(() => {
  idp.failing = false;
  idp.delayMs = 0;
  idp.published = [rsa.publicJwk, ec.publicJwk, rs384.publicJwk];
});

afterAll(async () => {
  await idp.stop();
  database.close();
});

function appWith(cache: Partial<JwksCacheOptions> = {}, algorithms: JwksAlgorithm[] = ["RS256", "ES256"], extra = {}) {
  return createApp({
    db: database.db,
    auth: { secret: TEST_SECRET, jwks: { keys: createJwksCache({ url: idp.url, ...cache }), algorithms }, ...extra },
    logger: silentLogger(),
  });
}

const idpToken = (key: SigningKey, entityId: string, claims: Record<string, unknown> = {}) =>
  sign(
    { sub: entityId, scope: "leads:convert", iat: nowSeconds(), exp: nowSeconds() + 300, ...claims },
    key.privateJwk,
    key.alg as "RS256",
  );

async function convertWith(app: ReturnType<typeof appWith>, makeToken: (entityId: string) => Promise<string>) {
  const { entity, lead } = await givenConvertibleLead(database.db);
  return app.request(
    CONVERT_PATH,
    conversionRequest(await makeToken(entity.id), { lead_id: lead.id, financial_entity_id: entity.id }),
  );
}

describe("tokens from an identity provider (JWT_JWKS_URL)", () => {
  it("accepts RS256 and ES256 tokens signed by published keys, and HS256 tokens alongside", async () => {
    const app = appWith();
    expect((await convertWith(app, (id) => idpToken(rsa, id))).status).toBe(200);
    expect((await convertWith(app, (id) => idpToken(ec, id))).status).toBe(200);
    expect((await convertWith(app, (id) => tokenFor(id))).status).toBe(200);
  });

  it("fetches the key set once and serves later requests from memory", async () => {
    const app = appWith();
    const before = idp.fetches;
    for (let i = 0; i < 5; i++) expect((await convertWith(app, (id) => idpToken(rsa, id))).status).toBe(200);
    expect(idp.fetches - before).toBe(1);
  });

  it("fetches again once the cached set is older than its lifetime", async () => {
    let clock = Date.now();
    const app = appWith({ maxAgeSeconds: 60, now: () => clock });
    const before = idp.fetches;
    await convertWith(app, (id) => idpToken(rsa, id));
    clock += 61_000;
    await convertWith(app, (id) => idpToken(rsa, id));
    // The refresh runs behind the answer, which the last good set already gave.
    await vi.waitFor(() => expect(idp.fetches - before).toBe(2));
  });

  it("picks up a rotated key when a token names a kid it has not seen", async () => {
    let clock = Date.now();
    const app = appWith({ minRefreshSeconds: 30, now: () => clock });
    await convertWith(app, (id) => idpToken(rsa, id));
    const rotated = await generateKey("RS256", "rsa-2");
    idp.published = [...idp.published, rotated.publicJwk];
    clock += 31_000;

    expect((await convertWith(app, (id) => idpToken(rotated, id))).status).toBe(200);
  });

  it("refetches for unknown kids at most once per refresh interval", async () => {
    const app = appWith({ minRefreshSeconds: 30 });
    await convertWith(app, (id) => idpToken(rsa, id));
    const stranger = await generateKey("RS256", "not-published");
    const before = idp.fetches;

    for (let i = 0; i < 3; i++) {
      await expectProblem(await convertWith(app, (id) => idpToken(stranger, id)), 401, "unauthorized");
    }
    expect(idp.fetches - before).toBe(0);
  });

  it("refuses an algorithm outside the allowlist even when the key is published", async () => {
    await expectProblem(await convertWith(appWith(), (id) => idpToken(rs384, id)), 401, "unauthorized");
  });

  it("refuses a token whose header claims another algorithm than its key's", async () => {
    const forged = async (id: string) => {
      const token = await idpToken(rsa, id);
      const header = Buffer.from(JSON.stringify({ alg: "ES256", typ: "JWT", kid: rsa.kid })).toString("base64url");
      return `${header}.${token.split(".").slice(1).join(".")}`;
    };
    await expectProblem(await convertWith(appWith(), forged), 401, "unauthorized");
  });

  it("refuses an HS256 token keyed with the provider's public key (key confusion)", async () => {
    const confused = (id: string) =>
      sign({ sub: id, exp: nowSeconds() + 300 }, JSON.stringify(rsa.publicJwk).padEnd(32, "x"), "HS256");
    await expectProblem(await convertWith(appWith(), confused), 401, "unauthorized");
  });

  it("enforces the configured issuer and audience on provider tokens too", async () => {
    const app = appWith({}, ["RS256"], { issuer: "https://id.example.com/", audience: "leads-api" });
    await expectProblem(await convertWith(app, (id) => idpToken(rsa, id)), 401, "unauthorized");
    const good = (id: string) => idpToken(rsa, id, { iss: "https://id.example.com/", aud: "leads-api" });
    expect((await convertWith(app, good)).status).toBe(200);
  });

  it("answers 503, not 500, when the key set cannot be fetched", async () => {
    idp.failing = true;
    try {
      const res = await convertWith(appWith(), (id) => idpToken(rsa, id));
      expect(res.headers.get("retry-after")).toBe("1");
      await expectProblem(res, 503, "service_unavailable");
    } finally {
      idp.failing = false;
    }
  });

  it("is configured from the environment", async () => {
    const config = parseEnv({
      TURSO_DATABASE_URL: database.url,
      JWT_SECRET: TEST_SECRET,
      JWT_JWKS_URL: idp.url,
      JWT_JWKS_ALGORITHMS: "ES256",
    });
    const app = createApp({ db: database.db, auth: authOptions(config), logger: silentLogger() });

    expect((await convertWith(app, (id) => idpToken(ec, id))).status).toBe(200);
    await expectProblem(await convertWith(app, (id) => idpToken(rsa, id)), 401, "unauthorized");
    expect(() =>
      parseEnv({ TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET, JWT_JWKS_ALGORITHMS: "HS256" }),
    ).toThrow(/JWT_JWKS_ALGORITHMS/);
  });

  it("accepts only https: key set URLs, and plain http: on loopback for local work", () => {
    const env = (url: string) => ({ TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET, JWT_JWKS_URL: url });
    for (const url of [
      "http://id.example.com/.well-known/jwks.json",
      "http://10.0.0.7/jwks",
      "ftp://id.example.com/jwks",
      "https//x",
    ]) {
      expect(() => parseEnv(env(url)), url).toThrow(/JWT_JWKS_URL/);
    }
    for (const url of [
      "https://id.example.com/.well-known/jwks.json",
      "http://127.0.0.1:8080/jwks",
      "http://localhost:9000/jwks",
      "http://[::1]/jwks",
    ]) {
      expect(parseEnv(env(url)).jwksUrl).toBe(url);
    }
  });
});

describe("the key set when the provider is slow or down", () => {
  it("keeps serving the last good key set past its lifetime while the provider is down, refetching at most once per interval", async () => {
    let clock = Date.now();
    const app = appWith({ maxAgeSeconds: 60, minRefreshSeconds: 30, now: () => clock });
    expect((await convertWith(app, (id) => idpToken(rsa, id))).status).toBe(200);
    idp.failing = true;
    clock += 61_000;
    const before = idp.fetches;

    for (let i = 0; i < 5; i++) expect((await convertWith(app, (id) => idpToken(rsa, id))).status).toBe(200);
    await vi.waitFor(() => expect(idp.fetches - before).toBe(1));
    clock += 31_000;
    expect((await convertWith(app, (id) => idpToken(ec, id))).status).toBe(200);
    await vi.waitFor(() => expect(idp.fetches - before).toBe(2));
  });

  it("answers from the last good set without waiting for a slow refresh", async () => {
    let clock = Date.now();
    const app = appWith({ maxAgeSeconds: 60, now: () => clock });
    await convertWith(app, (id) => idpToken(rsa, id));
    idp.delayMs = 1_500;
    clock += 61_000;

    const started = performance.now();
    expect((await convertWith(app, (id) => idpToken(rsa, id))).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("stops trusting the last good set once it is older than its lifetime plus the staleness bound", async () => {
    let clock = Date.now();
    const app = appWith({ maxAgeSeconds: 60, maxStaleSeconds: 3_600, now: () => clock });
    await convertWith(app, (id) => idpToken(rsa, id));
    idp.failing = true;
    clock += 60_000 + 3_600_000;

    await expectProblem(await convertWith(app, (id) => idpToken(rsa, id)), 503, "service_unavailable");
  });

  it("makes one fetch for many concurrent requests, on first use and after the set ages out", async () => {
    let clock = Date.now();
    const app = appWith({ maxAgeSeconds: 60, now: () => clock });
    idp.delayMs = 200;
    let before = idp.fetches;
    const burst = () => Promise.all(Array.from({ length: 8 }, () => convertWith(app, (id) => idpToken(rsa, id))));

    for (const res of await burst()) expect(res.status).toBe(200);
    expect(idp.fetches - before).toBe(1);

    clock += 61_000;
    before = idp.fetches;
    for (const res of await burst()) expect(res.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(idp.fetches - before).toBe(1);
  });

  it("makes one fetch for many concurrent tokens naming a new kid", async () => {
    let clock = Date.now();
    const app = appWith({ minRefreshSeconds: 30, now: () => clock });
    await convertWith(app, (id) => idpToken(rsa, id));
    const rotated = await generateKey("ES256", "ec-2");
    idp.published = [...idp.published, rotated.publicJwk];
    idp.delayMs = 200;
    clock += 31_000;
    const before = idp.fetches;

    const answers = await Promise.all(Array.from({ length: 8 }, () => convertWith(app, (id) => idpToken(rotated, id))));
    for (const res of answers) expect(res.status).toBe(200);
    expect(idp.fetches - before).toBe(1);
  });

  it("keeps a remembered token valid until its exp after its key is withdrawn; new tokens from that key are refused", async () => {
    let clock = Date.now();
    const app = appWith({ maxAgeSeconds: 60, now: () => clock });
    const { entity, lead } = await givenConvertibleLead(database.db);
    const request = conversionRequest(await idpToken(rsa, entity.id), {
      lead_id: lead.id,
      financial_entity_id: entity.id,
    });
    expect((await app.request(CONVERT_PATH, request)).status).toBe(200);

    idp.published = [ec.publicJwk];
    clock += 61_000;
    const before = idp.fetches;
    expect((await convertWith(app, (id) => idpToken(ec, id))).status).toBe(200);
    await vi.waitFor(() => expect(idp.fetches - before).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect((await app.request(CONVERT_PATH, request)).status).toBe(200);
    await expectProblem(await convertWith(app, (id) => idpToken(rsa, id)), 401, "unauthorized");
  });
});

describe("the key set on the Worker (workerd), where requests must not await each other's promises", () => {
  it("makes one fetch for concurrent first requests, and every one of them is answered", async () => {
    const worker = await startWorkerTarget({ vars: { JWT_JWKS_URL: idp.url } });
    try {
      idp.delayMs = 300;
      const before = idp.fetches;
      const answers = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const { entity, lead } = await givenConvertibleLead(worker.db);
          const token = await idpToken(rsa, entity.id);
          return worker.fetch(
            CONVERT_PATH,
            conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id }),
          );
        }),
      );
      for (const res of answers) expect(res.status, await res.clone().text()).toBe(200);
      expect(idp.fetches - before).toBe(1);
    } finally {
      await worker.close();
    }
  });
});
