import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { auditFor, givenConvertibleLead, givenEntity, writesFor } from "../support/builders";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { expectProblem } from "./expect";
import type { ContractSuite } from "./target";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What every response carries whatever it says: no caching, and the request id. */
export const hygiene: ContractSuite = (target) => {
  const body = (leadId: string, entityId: string) => ({ lead_id: leadId, financial_entity_id: entityId });

  describe("Cache-Control: no-store", () => {
    it("on the 200, the replay, and every kind of refusal", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id);
      const responses = [
        await target().fetch(CONVERT_PATH, conversionRequest(token, body(lead.id, entity.id))),
        await target().fetch(CONVERT_PATH, conversionRequest(token, body(lead.id, entity.id))),
        await target().fetch(CONVERT_PATH, conversionRequest(token, body(crypto.randomUUID(), entity.id))),
        await target().fetch(CONVERT_PATH, conversionRequest(null, body(lead.id, entity.id))),
        await target().fetch(CONVERT_PATH, conversionRequest(token, "{")),
        await target().fetch(CONVERT_PATH, conversionRequest(token, "x".repeat(20_000))),
        await target().fetch(CONVERT_PATH, {
          ...conversionRequest(token, "{}"),
          headers: { Authorization: `Bearer ${token}` },
        }),
        await target().fetch(CONVERT_PATH, { method: "GET" }),
        await target().fetch("/nowhere"),
        await target().fetch("/healthz"),
        await target().fetch("/readyz"),
      ];
      expect(responses.map((res) => res.status)).toEqual([200, 200, 404, 401, 400, 413, 415, 405, 404, 200, 200]);
      for (const res of responses) {
        await res.arrayBuffer();
        expect(res.headers.get("cache-control"), `${res.status}`).toBe("no-store");
      }
    });
  });

  describe("415 for a compressed body", () => {
    const compressed = async (encoding: string, payload: Uint8Array | string) => {
      const entity = await givenEntity(target().db);
      const init = conversionRequest(await tokenFor(entity.id), "");
      return target().fetch(CONVERT_PATH, {
        ...init,
        headers: { ...init.headers, "Content-Encoding": encoding },
        body: payload,
      });
    };

    it("gzip, br or any coding but identity, with Accept-Encoding: identity", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const json = JSON.stringify(body(lead.id, entity.id));
      for (const [encoding, payload] of [
        ["gzip", gzipSync(json)],
        ["br", json],
        ["deflate", json],
        ["identity, gzip", gzipSync(json)],
      ] as const) {
        const res = await compressed(encoding, payload);
        expect(res.headers.get("accept-encoding"), encoding).toBe("identity");
        await expectProblem(res, 415, "unsupported_media_type");
      }
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("identity is the uncompressed body it says it is", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const init = conversionRequest(await tokenFor(entity.id), body(lead.id, entity.id));
      const res = await target().fetch(CONVERT_PATH, {
        ...init,
        headers: { ...init.headers, "Content-Encoding": "identity" },
      });
      expect(res.status).toBe(200);
    });

    it("after the size and token checks: 413 first, then 401", async () => {
      const oversized = await target().fetch(CONVERT_PATH, {
        ...conversionRequest(null, ""),
        headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
        body: "x".repeat(20_000),
      });
      await expectProblem(oversized, 413, "payload_too_large");
      const anonymous = await target().fetch(CONVERT_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
        body: gzipSync("{}"),
      });
      await expectProblem(anonymous, 401, "unauthorized");
    });
  });

  describe("X-Request-Id", () => {
    it("keeps and echoes exactly a caller's id of visible ASCII, `.`, `:`, `/`, `+` and the like included", async () => {
      for (const sent of [
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "svc.orders:42/retry+1",
        "a=b;c,d[e]{f}\\g|h~!#$%&*?@^`",
        "x".repeat(200),
      ]) {
        const { entity, lead } = await givenConvertibleLead(target().db);
        const res = await target().fetch(
          CONVERT_PATH,
          conversionRequest(await tokenFor(entity.id), body(lead.id, entity.id), { "X-Request-Id": sent }),
        );
        expect(res.status).toBe(200);
        expect(res.headers.get("x-request-id")).toBe(sent);
        expect((await auditFor(target().db, lead.id))[0]?.requestId).toBe(sent);
      }
    });

    it("replaces an id with a space, a quote, more than 200 characters or non-ASCII by a new UUID", async () => {
      for (const sent of ["has space", 'say"hi', "it's", "x".repeat(201), "caf\u00e9"]) {
        const res = await target().fetch(CONVERT_PATH, conversionRequest(null, {}, { "X-Request-Id": sent }));
        const id = res.headers.get("x-request-id");
        expect(id, sent).toMatch(UUID);
        expect((await expectProblem(res, 401, "unauthorized")).request_id).toBe(id);
      }
    });
  });
};
