import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { expect } from "vitest";
import { PACKAGE_VERSION } from "../../src/assets-node";
import { buildOpenApiDocument } from "../../src/http/openapi/document";

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }>; headers?: Record<string, unknown> }> };
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object> } };

/** The OpenAPI document as a caller downloads it: plain JSON. */
export const openApiDocument = JSON.parse(JSON.stringify(buildOpenApiDocument(PACKAGE_VERSION)));
const document = openApiDocument as Document;

// An independent validator: ajv knows nothing of zod; it reads only the JSON document.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: "openapi.json", components: document.components });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

/** The documented operation for a concrete path, matching templated segments (`/webhook-endpoints/{id}`). */
function operationFor(method: string, path: string): Operation | undefined {
  const exact = document.paths[path]?.[method.toLowerCase()];
  if (exact) return exact;
  const segments = path.split("/");
  for (const [template, operations] of Object.entries(document.paths)) {
    const parts = template.split("/");
    if (parts.length !== segments.length || !template.includes("{")) continue;
    if (parts.every((part, i) => (part.startsWith("{") && segments[i] !== "") || part === segments[i])) {
      return operations[method.toLowerCase()];
    }
  }
  return undefined;
}

/**
 * Fails unless the response is one the document describes: a documented
 * status for this path and method, a documented media type, and a body valid
 * against the documented schema.
 */
export async function expectDocumentedResponse(method: string, path: string, res: Response): Promise<void> {
  const operation = operationFor(method, path);
  const where = `${method} ${path} → ${res.status}`;
  if (!operation) {
    // Unknown paths are the API's 404/405 problem for any route; they are described by no operation.
    expect([404, 405], `${where} is not a documented operation`).toContain(res.status);
    return;
  }
  const response = operation.responses[String(res.status)];
  expect(response, `${where} is not documented`).toBeDefined();
  for (const name of Object.keys(response!.headers ?? {})) {
    if (name === "X-Request-Id") expect(res.headers.get(name), `${where} lacks ${name}`).not.toBeNull();
  }
  if (!response!.content) {
    expect(await res.clone().text(), `${where} is documented without a body`).toBe("");
    return;
  }
  const mediaType = res.headers.get("content-type")?.split(";")[0] ?? "";
  const content = response!.content?.[mediaType];
  expect(content, `${where} answered ${mediaType}, which is not documented`).toBeDefined();
  const key = `${method} ${path} ${res.status} ${mediaType}`;
  let validate = validators.get(key);
  if (!validate) {
    const schema = content!.schema as { $ref?: string };
    validate = ajv.compile(schema.$ref ? { $ref: `openapi.json${schema.$ref}` } : schema);
    validators.set(key, validate);
  }
  const body = await res.clone().json();
  expect(validate(body) ? [] : validate.errors, `${where} does not match the documented schema`).toEqual([]);
}
