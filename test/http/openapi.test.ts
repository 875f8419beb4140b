import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { writeAssets } from "../../scripts/assets";
import { createApp } from "../../src/app";
import { nodeAssets } from "../../src/assets-node";
import { TAGS } from "../../src/http/openapi/contract";
import { PROBLEMS } from "../../src/http/problem";
import { createTestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { expectDocumentedResponse, openApiDocument } from "../support/openapi";
import { TEST_SECRET } from "../support/tokens";

type Operations = Record<string, Record<string, { tags?: string[] } | object[]>>;
const METHODS = ["get", "post", "patch", "delete", "put", "head", "options"];

/** `METHOD /path/{param}` of every operation the document describes. */
function documentedOperations(document: { paths: Operations }): string[] {
  return Object.entries(document.paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

/**
 * What the document promises, without its prose: every `summary` and `description` (text, not the
 * members of schemas or examples that bear those names) taken out, so that rewording the guide
 * needs no snapshot update while any change to statuses, headers, schemas, parameters, security,
 * tags or examples does.
 */
function contractOf(value: unknown, inExample = false): unknown {
  if (Array.isArray(value)) return value.map((item) => contractOf(item, inExample));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(
        ([key, member]) => inExample || typeof member !== "string" || (key !== "description" && key !== "summary"),
      )
      .map(([key, member]) => [key, contractOf(member, inExample || key === "example" || key === "examples")]),
  );
}

describe("the OpenAPI document", () => {
  it("describes exactly the routes the app registers: a route without a contract, or a contract without a route, fails", async () => {
    const database = await createTestDatabase();
    try {
      const app = createApp({ db: database.db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
      const registered = [
        ...new Set(
          app.routes
            .filter((route) => route.method !== "ALL")
            .map((route) => `${route.method} ${route.path.replace(/:([^/]+)/g, "{$1}")}`),
        ),
      ].sort();
      expect(
        documentedOperations(openApiDocument),
        "each route registered in createApp declares its operation in its module's …Contract(), listed in src/http/openapi/document.ts",
      ).toEqual(registered);
    } finally {
      database.close();
    }
  });

  it("lists every operation under one of the tags, in the tags' order, and every tag has operations", () => {
    expect(openApiDocument.tags.map((tag: { name: string }) => tag.name)).toEqual([...TAGS]);
    // Each group opens with its chapter of the guide (Markdown), and the document with the overview.
    for (const tag of openApiDocument.tags as { name: string; description?: string }[]) {
      expect(tag.description?.length ?? 0, tag.name).toBeGreaterThan(200);
    }
    expect(openApiDocument.info.description).toMatch(/## Authentication and tokens[\s\S]*## Errors[\s\S]*## Retries/);
    const used = new Set<string>();
    for (const [path, item] of Object.entries(openApiDocument.paths as Operations)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.includes(method)) continue;
        const tags = (operation as { tags?: string[] }).tags;
        expect(tags, `${method.toUpperCase()} ${path}`).toHaveLength(1);
        expect(TAGS as readonly string[], `${method.toUpperCase()} ${path}`).toContain(tags![0]);
        used.add(tags![0]!);
      }
    }
    expect([...used].sort()).toEqual([...TAGS].sort());
  });

  it("promises what the committed snapshot records (update it with -u when an operation changes on purpose)", async () => {
    await expect(`${JSON.stringify(contractOf(openApiDocument), null, 2)}\n`).toMatchFileSnapshot(
      "./__snapshots__/openapi.contract.json.snap",
    );
  });

  it("is served at GET /openapi.json", async () => {
    const database = await createTestDatabase();
    try {
      const app = createApp({
        db: database.db,
        auth: { secret: TEST_SECRET },
        logger: silentLogger(),
        assets: nodeAssets(),
      });
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
    // Strict: an unknown keyword or format in a schema is an error, not a warning.
    const ajv = new Ajv2020({ strict: true });
    addFormats.default(ajv);
    // Schemas refer to each other (BulkResults → User): each is compiled where its references resolve,
    // inside a container whose only extra keyword is the document's `components`.
    ajv.addKeyword("components");
    ajv.addSchema({ $id: "openapi.json", components: { schemas: openApiDocument.components.schemas } });
    for (const name of Object.keys(openApiDocument.components.schemas)) {
      expect(() => ajv.compile({ $ref: `openapi.json#/components/schemas/${name}` }), name).not.toThrow();
    }
  });

  it("describes every response of the outcome table, with an example for every problem code", () => {
    const responses = openApiDocument.paths["/turn-lead-into-client"].post.responses;
    expect(Object.keys(responses).sort()).toEqual([
      "200",
      "400",
      "401",
      "403",
      "404",
      "405",
      "409",
      "413",
      "415",
      "429",
      "500",
      "503",
    ]);
    // Every problem code has an example somewhere in the document (the events API's codes are on its paths).
    const everyResponse = Object.values(openApiDocument.paths).flatMap((operations) =>
      Object.values(operations as Record<string, { responses?: object }>).flatMap((op) =>
        Object.values(op.responses ?? {}),
      ),
    );
    const exampled = everyResponse.flatMap((r) =>
      Object.keys(
        (r as { content?: Record<string, { examples?: object }> }).content?.["application/problem+json"]?.examples ??
          {},
      ),
    );
    const routing = ["not_found"];
    expect([...new Set([...exampled, ...routing])].sort()).toEqual(Object.keys(PROBLEMS).sort());
    expect(openApiDocument.components.securitySchemes.bearerAuth).toMatchObject({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
  });

  it("documents the request body from the validator's own schema, as input", () => {
    expect(openApiDocument.components.schemas.TurnLeadIntoClientRequest).toMatchObject({
      type: "object",
      required: ["lead_id", "financial_entity_id"],
      properties: {
        lead_id: { type: "string", format: "uuid" },
        financial_entity_id: { type: "string", format: "uuid" },
      },
    });
  });
});

describe("the response check against the document", () => {
  const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
    new Response(
      JSON.stringify({ type: `/problems/${code}`, title: "t", status, detail: "d", code, request_id: "r-1" }),
      {
        status,
        headers: {
          "Content-Type": "application/problem+json",
          "X-Request-Id": "r-1",
          "Cache-Control": "no-store",
          ...headers,
        },
      },
    );
  const check = (method: string, path: string, res: Response) => expectDocumentedResponse(method, path, res);

  it("accepts a response the document describes", async () => {
    await check("POST", "/turn-lead-into-client", problem(503, "service_unavailable", { "Retry-After": "1" }));
    await check(
      "POST",
      "/turn-lead-into-client",
      problem(401, "unauthorized", { "WWW-Authenticate": 'Bearer realm="x"' }),
    );
    await check("GET", "/nowhere", problem(404, "not_found"));
  });

  it("fails on a status the operation does not declare", async () => {
    await expect(check("POST", "/turn-lead-into-client", problem(422, "service_unavailable"))).rejects.toThrow(
      /not documented/,
    );
    await expect(check("GET", "/nowhere", problem(500, "internal_error"))).rejects.toThrow(/no documented operation/);
  });

  it("fails on a content type the response does not declare", async () => {
    const res = new Response("ok", {
      status: 200,
      headers: { "Content-Type": "text/plain", "X-Request-Id": "r", "Cache-Control": "no-store" },
    });
    await expect(check("GET", "/healthz", res)).rejects.toThrow(/text\/plain, which the document does not declare/);
  });

  it("fails when a required header is missing or a header breaks its schema", async () => {
    await expect(check("POST", "/turn-lead-into-client", problem(503, "service_unavailable"))).rejects.toThrow(
      /lacks the header Retry-After/,
    );
    await expect(check("POST", "/turn-lead-into-client", problem(401, "unauthorized"))).rejects.toThrow(
      /lacks the header WWW-Authenticate/,
    );
    await expect(check("POST", "/turn-lead-into-client", problem(405, "method_not_allowed"))).rejects.toThrow(
      /lacks the header Allow/,
    );
    await expect(
      check("GET", "/nowhere", problem(404, "not_found", { "Cache-Control": "max-age=60" })),
    ).rejects.toThrow(/Cache-Control/);
    await expect(
      check("POST", "/turn-lead-into-client", problem(503, "service_unavailable", { "Retry-After": "soon" })),
    ).rejects.toThrow(/Retry-After/);
    const replay = new Response("{}", {
      status: 200,
      headers: { "Content-Type": "application/json", "X-Request-Id": "r", "Idempotent-Replayed": "yes" },
    });
    await expect(check("POST", "/turn-lead-into-client", replay)).rejects.toThrow(/Cache-Control|Idempotent-Replayed/);
  });
});
