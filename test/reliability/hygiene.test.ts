import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { expectProblem } from "../contract/expect";
import { givenConvertibleLead } from "../support/builders";
import { createTestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { type HttpTarget, startNodeTarget, startWorkerTarget } from "../support/targets";
import { TEST_SECRET, tokenFor } from "../support/tokens";

const SECURE_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=15552000; includeSubDomains",
  "cross-origin-resource-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

/** Sends a raw HTTP/1.1 request, so headers arrive exactly as written (duplicates included). */
function rawRequest(url: URL, lines: string[], body = ""): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`${lines.join("\r\n")}\r\nHost: ${url.host}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    let data = "";
    socket.on("data", (chunk) => (data += chunk));
    socket.on("end", () => resolve({ status: Number(data.split(" ")[1]), text: data }));
    socket.on("error", reject);
  });
}

for (const [name, start] of [
  ["Node entry", () => startNodeTarget()],
  ["Worker in workerd", () => startWorkerTarget()],
] as const) {
  describe(`response hygiene — ${name}`, () => {
    let target: HttpTarget;
    beforeAll(async () => {
      target = await start();
    });
    afterAll(() => target?.close());

    it("sends the secure headers, and no X-Powered-By, on every kind of response", async () => {
      const { entity, lead } = await givenConvertibleLead(target.db);
      const ok = conversionRequest(await tokenFor(entity.id), { lead_id: lead.id, financial_entity_id: entity.id });
      const responses = await Promise.all([
        target.fetch(CONVERT_PATH, ok),
        target.fetch(CONVERT_PATH, conversionRequest(null, {})),
        target.fetch(CONVERT_PATH, { method: "GET" }),
        target.fetch("/nowhere"),
        target.fetch("/healthz"),
        target.fetch("/openapi.json"),
        target.fetch("/docs"),
      ]);
      for (const res of responses) {
        await res.arrayBuffer();
        expect(Object.fromEntries(Object.keys(SECURE_HEADERS).map((h) => [h, res.headers.get(h)])), `${res.url} ${res.status}`).toEqual(SECURE_HEADERS);
        expect(res.headers.get("x-powered-by")).toBeNull();
        expect(res.headers.get("x-request-id")).toBeTruthy();
      }
    });

    it("answers no CORS: a preflight is a 405 problem without Access-Control headers", async () => {
      const preflight = await target.fetch(CONVERT_PATH, {
        method: "OPTIONS",
        headers: { Origin: "https://evil.example.com", "Access-Control-Request-Method": "POST" },
      });
      expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
      await expectProblem(preflight, 405, "method_not_allowed");
      const post = await target.fetch(CONVERT_PATH, { ...conversionRequest(null, {}), headers: { Origin: "https://evil.example.com" } });
      expect(post.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("refuses two Authorization headers sent on the wire", async () => {
      const { entity, lead } = await givenConvertibleLead(target.db);
      const token = await tokenFor(entity.id);
      const res = await rawRequest(
        target.url,
        [`POST ${CONVERT_PATH} HTTP/1.1`, `Authorization: Bearer ${token}`, `Authorization: Bearer ${token}`, "Content-Type: application/json"],
        JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id }),
      );
      expect(res.status).toBe(401);
      expect(res.text).toContain('"code":"unauthorized"');
    });
  });
}

describe("CORS, when configured", () => {
  it("answers preflights from the allowed origins only", async () => {
    const database = await createTestDatabase();
    try {
      const app = createApp({
        db: database.db,
        auth: { secret: TEST_SECRET },
        logger: silentLogger(),
        corsOrigins: ["https://app.example.com"],
      });
      const preflight = (origin: string) =>
        app.request(CONVERT_PATH, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "POST" } });

      const allowed = await preflight("https://app.example.com");
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
      expect(allowed.headers.get("access-control-allow-headers")).toContain("Authorization");
      expect((await preflight("https://evil.example.com")).headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      database.close();
    }
  });
});
