import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { expectProblem } from "../contract/expect";
import { givenClient, givenConvertibleLead } from "../support/builders";
import { createTestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { writtenNit } from "../support/nits";
import { expectDocumentedResponse } from "../support/openapi";
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
      socket.write(
        `${lines.join("\r\n")}\r\nHost: ${url.host}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
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
      const requests: [string, string, RequestInit?][] = [
        ["POST", CONVERT_PATH, ok],
        ["POST", CONVERT_PATH, conversionRequest(null, {})],
        ["GET", CONVERT_PATH, { method: "GET" }],
        ["GET", "/nowhere"],
        ["GET", "/healthz"],
        ["GET", "/openapi.json"],
        ["GET", "/docs"],
        ["GET", "/docs/scalar.js"],
      ];
      const responses = await Promise.all(requests.map(([, path, init]) => target.fetch(path, init)));
      for (const [i, res] of responses.entries()) {
        await expectDocumentedResponse(requests[i]![0], requests[i]![1], res.clone());
        await res.arrayBuffer();
        expect(
          Object.fromEntries(Object.keys(SECURE_HEADERS).map((h) => [h, res.headers.get(h)])),
          `${res.url} ${res.status}`,
        ).toEqual(SECURE_HEADERS);
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
      const post = await target.fetch(CONVERT_PATH, {
        ...conversionRequest(null, {}),
        headers: { Origin: "https://evil.example.com" },
      });
      expect(post.headers.get("access-control-allow-origin")).toBeNull();
    });

    it("logs one JSON line per request, carrying its id exactly, and nothing secret: no token, NIT, email, phone, name, SQL or stack", async () => {
      const nit = writtenNit(`901${Math.floor(Math.random() * 900 + 100)}777`);
      const base = nit.replace(/-\d$/, "").replace(/\./g, "");
      const person = {
        name: "Zacarías",
        lastname: "Quintero-Ybarra",
        email: `z.${crypto.randomUUID()}@example.com`,
        phone: "+57 301 765 4321",
        nit,
      };
      const { entity, lead } = await givenConvertibleLead(target.db, person);
      const twin = await givenConvertibleLead(target.db, { ...person, nit: base });
      await givenClient(target.db, { financialEntityId: twin.entity.id, ecosystemId: twin.entity.ecosystemId, nit });
      const token = await tokenFor(entity.id);
      const body = { lead_id: lead.id, financial_entity_id: entity.id };
      const run = crypto.randomUUID().slice(0, 8);
      const sent: [string, string, RequestInit][] = [
        [`${run}:convert/1+a.b`, CONVERT_PATH, conversionRequest(token, body)],
        [`${run}:replay\\}{`, CONVERT_PATH, conversionRequest(token, body)],
        [
          `${run}:conflict`,
          CONVERT_PATH,
          conversionRequest(await tokenFor(twin.entity.id), {
            lead_id: twin.lead.id,
            financial_entity_id: twin.entity.id,
          }),
        ],
        [`${run}:bad-token`, CONVERT_PATH, conversionRequest(`${token}x`, body)],
        [
          `${run}:token-in-query`,
          `${CONVERT_PATH}?access_token=${token}&email=${person.email}`,
          conversionRequest(null, body),
        ],
        [
          `${run}:personal-body`,
          CONVERT_PATH,
          conversionRequest(token, `{"lead_id": "${person.email}", "nit": "${nit}"`),
        ],
        [`${run}:not-found`, `/nowhere/${person.phone}`, { method: "GET" }],
      ];
      const statuses = [];
      for (const [id, path, init] of sent) {
        const res = await target.fetch(path, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), "X-Request-Id": id },
        });
        expect(res.headers.get("x-request-id")).toBe(id);
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 409, 401, 401, 400, 404]);

      // workerd reports console output asynchronously: wait for every request's line.
      const ours = () =>
        target
          .logLines()
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((record) => String(record.request_id).startsWith(run));
      await expect.poll(() => ours().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(sent.length);
      for (const [i, [id]] of sent.entries()) {
        expect(
          ours().filter((record) => record.request_id === id),
          id,
        ).toEqual([expect.objectContaining({ level: "info", msg: "request", status: statuses[i] })]);
      }
      const text = target.logLines().join("\n");
      for (const secret of [token, nit, base, person.email, person.phone, "765 4321", person.name, person.lastname]) {
        expect(text).not.toContain(secret);
      }
      expect(text).not.toMatch(/\b(select|insert|update)\b .*\b(from|into|set)\b|\n\s+at \S+|\.ts:\d+/i);
    });

    it("refuses two Authorization headers sent on the wire", async () => {
      const { entity, lead } = await givenConvertibleLead(target.db);
      const token = await tokenFor(entity.id);
      const res = await rawRequest(
        target.url,
        [
          `POST ${CONVERT_PATH} HTTP/1.1`,
          `Authorization: Bearer ${token}`,
          `Authorization: Bearer ${token}`,
          "Content-Type: application/json",
        ],
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
        app.request(CONVERT_PATH, {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
        });

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
