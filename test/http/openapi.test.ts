import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { nodeAssets } from "../../src/assets-node";
import { PROBLEMS } from "../../src/http/problem";
import { writeAssets } from "../../scripts/assets";
import { createTestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { openApiDocument } from "../support/openapi";
import { TEST_SECRET } from "../support/tokens";

describe("the OpenAPI document", () => {
  it("is served at GET /openapi.json", async () => {
    const database = await createTestDatabase();
    try {
      const app = createApp({ db: database.db, auth: { secret: TEST_SECRET }, logger: silentLogger(), assets: nodeAssets() });
      const res = await app.request("/openapi.json");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).not.toBeNull();
      expect(await res.json()).toEqual(openApiDocument);
    } finally {
      database.close();
    }
  });

  it("is the same document in the Worker's static assets", () => {
    const dir = writeAssets();
    expect(JSON.parse(readFileSync(`${dir}openapi.json`, "utf8"))).toEqual(openApiDocument);
  });

  it("is OpenAPI 3.1 whose component schemas are valid JSON Schema 2020-12", () => {
    expect(openApiDocument.openapi).toBe("3.1.0");
    const ajv = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(openApiDocument.components.schemas)) {
      expect(() => ajv.compile({ ...(schema as object), $id: name }), name).not.toThrow();
    }
  });

  it("describes every response of the outcome table, with an example for every problem code", () => {
    const responses = openApiDocument.paths["/turn-lead-into-client"].post.responses;
    expect(Object.keys(responses).sort()).toEqual(["200", "400", "401", "403", "404", "405", "409", "413", "415", "500", "503"]);
    // Every problem code has an example somewhere in the document (the events API's codes are on its paths).
    const everyResponse = Object.values(openApiDocument.paths).flatMap((operations) =>
      Object.values(operations as Record<string, { responses?: object }>).flatMap((op) => Object.values(op.responses ?? {})),
    );
    const exampled = everyResponse.flatMap((r) =>
      Object.keys((r as { content?: Record<string, { examples?: object }> }).content?.["application/problem+json"]?.examples ?? {}),
    );
    const routing = ["not_found"];
    expect([...new Set([...exampled, ...routing])].sort()).toEqual(Object.keys(PROBLEMS).sort());
    expect(openApiDocument.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
  });

  it("documents the request body from the validator's own schema, as input", () => {
    expect(openApiDocument.components.schemas.TurnLeadIntoClientRequest).toMatchObject({
      type: "object",
      required: ["lead_id", "financial_entity_id"],
      properties: { lead_id: { type: "string", format: "uuid" }, financial_entity_id: { type: "string", format: "uuid" } },
    });
  });
});
