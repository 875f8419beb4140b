import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { givenConvertibleLead, givenEntity, writesFor } from "../support/builders";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { nowSeconds, tokenFor } from "../support/tokens";
import { expectProblem } from "./expect";
import type { ContractSuite } from "./target";

const REALM = 'Bearer realm="turn-lead-into-client"';

/**
 * The status of a POST whose headers are sent byte for byte: `fetch` trims header values
 * before they leave, so whitespace around them reaches the service only this way.
 */
function rawPostStatus(url: URL, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(CONVERT_PATH, url), { method: "POST", headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Who may convert: the 401 and 403 rows, and the order in which checks run. */
export const access: ContractSuite = (target) => {
  const post = (authorization: string | null, body: unknown, headers: Record<string, string> = {}) =>
    target().fetch(CONVERT_PATH, {
      ...conversionRequest(null, body, headers),
      headers: {
        "Content-Type": "application/json",
        ...(authorization === null ? {} : { Authorization: authorization }),
        ...headers,
      },
    });

  describe("401 unauthorized", () => {
    it("without a token, challenging for one without an error code", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);

      const res = await post(null, { lead_id: lead.id, financial_entity_id: entity.id });

      expect(res.headers.get("www-authenticate")).toBe(REALM);
      await expectProblem(res, 401, "unauthorized");
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("for a header that is not a bearer credential", async () => {
      const entity = await givenEntity(target().db);
      for (const header of ["Basic dXNlcjpwYXNz", "Bearer", "Token abc"]) {
        const res = await post(header, { lead_id: crypto.randomUUID(), financial_entity_id: entity.id });
        expect(res.headers.get("www-authenticate")).toBe(REALM);
        await expectProblem(res, 401, "unauthorized");
      }
    });

    it("for a token with a bad signature, as an invalid_token", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id, {}, "another-secret-that-is-also-32-bytes-long");

      const res = await post(`Bearer ${token}`, { lead_id: lead.id, financial_entity_id: entity.id });

      expect(res.headers.get("www-authenticate")).toMatch(
        /^Bearer realm="turn-lead-into-client", error="invalid_token"/,
      );
      await expectProblem(res, 401, "unauthorized");
    });

    it("the same on every runtime for whitespace around the credentials (RFC 9110 OWS)", async () => {
      for (const [before, after] of [
        ["", " "],
        [" ", ""],
        ["\t ", " \t"],
      ]) {
        const { entity, lead } = await givenConvertibleLead(target().db);
        const authorization = `${before}Bearer ${await tokenFor(entity.id)}${after}`;
        const body = JSON.stringify({ lead_id: lead.id, financial_entity_id: entity.id });
        const headers = { "Content-Type": "application/json", Authorization: authorization };

        const { url } = target();
        const status = url
          ? await rawPostStatus(url, headers, body)
          : (await target().fetch(CONVERT_PATH, { method: "POST", headers, body })).status;
        expect(status, JSON.stringify(authorization.replace(/\S{20,}/, "<token>"))).toBe(200);
      }
    });

    it("for an expired token and a token not valid yet", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const body = { lead_id: lead.id, financial_entity_id: entity.id };
      const expired = await tokenFor(entity.id, { exp: nowSeconds() - 120 });
      const early = await tokenFor(entity.id, { nbf: nowSeconds() + 120 });

      await expectProblem(await post(`Bearer ${expired}`, body), 401, "unauthorized");
      await expectProblem(await post(`Bearer ${early}`, body), 401, "unauthorized");
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });
  });

  describe("403", () => {
    it("forbidden when the token acts for another entity", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });

      const res = await post(`Bearer ${await tokenFor(other.id)}`, {
        lead_id: lead.id,
        financial_entity_id: entity.id,
      });

      await expectProblem(res, 403, "forbidden");
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("insufficient_scope when the token's scope lacks leads:convert", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id, { scope: "leads:read clients:write" });

      const res = await post(`Bearer ${token}`, { lead_id: lead.id, financial_entity_id: entity.id });

      expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
      await expectProblem(res, 403, "insufficient_scope");
    });

    it("but a token without any scope claim may convert", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id, { scope: undefined });

      expect((await post(`Bearer ${token}`, { lead_id: lead.id, financial_entity_id: entity.id })).status).toBe(200);
    });
  });

  describe("the order of checks", () => {
    it("size before token: an oversized body without a token is 413", async () => {
      await expectProblem(await post(null, { padding: "x".repeat(17 * 1024) }), 413, "payload_too_large");
    });

    it("token before content: an unauthenticated caller learns nothing about its body", async () => {
      await expectProblem(await post(null, "{not json"), 401, "unauthorized");
      await expectProblem(await post(null, { lead_id: "x" }, { "Content-Type": "text/plain" }), 401, "unauthorized");
    });

    it("content before entity: a bad body for another entity is 400, not 403", async () => {
      const entity = await givenEntity(target().db);
      const res = await post(`Bearer ${await tokenFor(entity.id)}`, {
        lead_id: "x",
        financial_entity_id: crypto.randomUUID(),
      });
      await expectProblem(res, 400, "validation_error");
    });

    it("scope and entity before the data: another entity's missing lead is 403, not 404", async () => {
      const entity = await givenEntity(target().db);
      const res = await post(`Bearer ${await tokenFor(entity.id)}`, {
        lead_id: crypto.randomUUID(),
        financial_entity_id: crypto.randomUUID(),
      });
      await expectProblem(res, 403, "forbidden");
    });
  });
};
