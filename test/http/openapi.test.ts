import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { buildOpenApiDocument } from "../../src/http/openapi/document";
import { PROBLEMS } from "../../src/http/problem";
import { createTestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { OPENAPI_FILE } from "../support/openapi";
import { TEST_SECRET } from "../support/tokens";

const committed = JSON.parse(readFileSync(OPENAPI_FILE, "utf8"));
const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));

describe("the OpenAPI document", () => {
  it("is what the zod schemas generate today (run `npm run openapi` after changing them)", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(version))));
  });

  it("is served at GET /openapi.json", async () => {
    const database = await createTestDatabase();
    try {
      const app = createApp({ db: database.db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
      const res = await app.request("/openapi.json");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(committed);
    } finally {
      database.close();
    }
  });

  it("is OpenAPI 3.1 whose component schemas are valid JSON Schema 2020-12", () => {
    expect(committed.openapi).toBe("3.1.0");
    const ajv = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(committed.components.schemas)) {
      expect(() => ajv.compile({ ...(schema as object), $id: name }), name).not.toThrow();
    }
  });

  it("describes every response of the outcome table, with an example for every problem code", () => {
    const responses = committed.paths["/turn-lead-into-client"].post.responses;
    expect(Object.keys(responses).sort()).toEqual(["200", "400", "401", "403", "404", "405", "409", "413", "415", "500", "503"]);
    const exampled = Object.values(responses).flatMap((r) =>
      Object.keys((r as { content: Record<string, { examples?: object }> }).content["application/problem+json"]?.examples ?? {}),
    );
    const routing = ["not_found"];
    expect([...exampled, ...routing].sort()).toEqual(Object.keys(PROBLEMS).sort());
    expect(committed.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
  });

  it("documents the request body from the validator's own schema, as input", () => {
    expect(committed.components.schemas.TurnLeadIntoClientRequest).toMatchObject({
      type: "object",
      required: ["lead_id", "financial_entity_id"],
      properties: { lead_id: { type: "string", format: "uuid" }, financial_entity_id: { type: "string", format: "uuid" } },
    });
  });
});
