import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/worker";
import { expectProblem } from "./contract/expect";
import { CONVERT_PATH, conversionRequest } from "./support/requests";
import { TEST_SECRET, tokenFor } from "./support/tokens";

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
const baseEnv = { TURSO_DATABASE_URL: "http://127.0.0.1:9", JWT_SECRET: TEST_SECRET };

afterEach(() => vi.restoreAllMocks());

async function call(env: Record<string, unknown>, init?: RequestInit) {
  const errors = vi.spyOn(console, "error").mockImplementation(() => {});
  const res = await worker.fetch(
    new Request(`https://api.example.com${CONVERT_PATH}`, init ?? { method: "POST" }),
    env,
    ctx,
  );
  return { res, logged: errors.mock.calls.map((args) => args.join(" ")).join("\n") };
}

describe("the Worker entry", () => {
  it("fails closed without JWT_SECRET: every request is a 500 problem whose log names the variable", async () => {
    const { JWT_SECRET: _, ...env } = baseEnv;
    for (const init of [{ method: "POST" }, { method: "GET" }]) {
      const { res, logged } = await call({ ...env }, init);
      const body = await expectProblem(res, 500, "internal_error");
      expect(JSON.stringify(body)).not.toContain("JWT_SECRET");
      expect(logged).toContain("JWT_SECRET");
    }
  });

  it("fails closed with a JWT_SECRET shorter than 32 bytes, never logging its value", async () => {
    const { res, logged } = await call({ ...baseEnv, JWT_SECRET: "short-secret-value" });
    await expectProblem(res, 500, "internal_error");
    expect(logged).toMatch(/JWT_SECRET.*32 bytes/);
    expect(logged).not.toContain("short-secret-value");
  });

  it("fails closed without a database URL", async () => {
    const { TURSO_DATABASE_URL: _, ...env } = baseEnv;
    const { res, logged } = await call({ ...env });
    await expectProblem(res, 500, "internal_error");
    expect(logged).toContain("TURSO_DATABASE_URL");
  });

  it("fails closed with a file: database URL, which a Worker cannot open", async () => {
    const { res, logged } = await call({ ...baseEnv, TURSO_DATABASE_URL: "file:.data/dev.db" });
    await expectProblem(res, 500, "internal_error");
    expect(logged).toMatch(/TURSO_DATABASE_URL must be a libsql:, https: or http: URL in a Worker/);
  });

  it("fails closed with a database URL the client cannot use", async () => {
    const { res, logged } = await call({
      ...baseEnv,
      TURSO_DATABASE_URL: "libsql://user:password@db.example.com?tls=maybe",
    });
    await expectProblem(res, 500, "internal_error");
    expect(logged).toContain("TURSO_DATABASE_URL is not usable");
    expect(logged).not.toContain("password");
  });

  it("serves with a valid configuration", async () => {
    const env = { ...baseEnv };
    const entity = crypto.randomUUID();
    const body = { lead_id: crypto.randomUUID(), financial_entity_id: entity };

    await expectProblem((await call(env, conversionRequest(null, body))).res, 401, "unauthorized");
    // The database URL points nowhere: a valid request gets as far as the database, and says so.
    const { res } = await call(env, conversionRequest(await tokenFor(entity), body));
    expect(res.headers.get("retry-after")).toBe("1");
    await expectProblem(res, 503, "service_unavailable");
  });
});
