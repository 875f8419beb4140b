import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { expect } from "vitest";
import { PACKAGE_VERSION } from "../../src/assets-node";
import { buildOpenApiDocument } from "../../src/http/openapi/document";

type Schema = { $ref?: string } & Record<string, unknown>;
type Header = { $ref?: string; required?: boolean; schema?: Schema };
type ResponseObject = { content?: Record<string, { schema: Schema }>; headers?: Record<string, Header> };
type Operation = { responses: Record<string, ResponseObject> };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object>; headers: Record<string, Header> };
};

/** The OpenAPI document as a caller downloads it: plain JSON. */
export const openApiDocument = JSON.parse(JSON.stringify(buildOpenApiDocument(PACKAGE_VERSION)));
const document = openApiDocument as Document;

// An independent validator: ajv knows nothing of zod; it reads only the JSON document.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: "openapi.json", components: document.components });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

function validatorFor(key: string, schema: Schema) {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema.$ref ? { $ref: `openapi.json${schema.$ref}` } : schema);
    validators.set(key, validate);
  }
  return validate;
}

const resolveHeader = (header: Header): Header =>
  header.$ref ? document.components.headers[header.$ref.replace("#/components/headers/", "")]! : header;

/** The operation for a concrete path: exact, or through a `{param}` template. */
function findOperation(method: string, path: string): { template: string; operation: Operation } | undefined {
  for (const [template, item] of Object.entries(document.paths)) {
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^/}]+\\?\}/g, "[^/]+")}$`,
    );
    const operation = item[method.toLowerCase()];
    if (operation && pattern.test(path)) return { template, operation };
  }
  return undefined;
}

// What any path answers when no operation describes the request: the API's routing problems,
// with the headers every response carries.
const ROUTING_RESPONSE: ResponseObject = {
  headers: {
    "X-Request-Id": { $ref: "#/components/headers/XRequestId" },
    "Cache-Control": { $ref: "#/components/headers/CacheControlNoStore" },
  },
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};

/**
 * Fails unless the response is one the document describes: a status the
 * document declares for this path and method, every header it declares there
 * (present when required, valid against its schema when present), a declared
 * media type, and a body valid against the declared schema. A request no
 * operation describes must be answered by the 404 or 405 problem.
 */
export async function expectDocumentedResponse(method: string, path: string, res: Response): Promise<void> {
  const found = findOperation(method, path);
  const where = `${method} ${found?.template ?? path} → ${res.status}`;
  let response: ResponseObject | undefined;
  if (found) {
    response = found.operation.responses[String(res.status)];
    expect(
      response,
      `${where} is not documented (declared: ${Object.keys(found.operation.responses).join(", ")})`,
    ).toBeDefined();
  } else {
    expect([404, 405], `${where}: no documented operation, and not a routing problem`).toContain(res.status);
    response = ROUTING_RESPONSE;
  }

  for (const [name, declared] of Object.entries(response!.headers ?? {})) {
    const header = resolveHeader(declared);
    const value = res.headers.get(name);
    if (value === null) {
      expect(header.required ?? false, `${where} lacks the header ${name}, which the document requires`).toBe(false);
      continue;
    }
    if (!header.schema) continue;
    const validate = validatorFor(`header ${where} ${name}`, header.schema);
    expect(validate(value) ? [] : validate.errors, `${where}: header ${name}: ${value}`).toEqual([]);
  }

  if (!response!.content) {
    expect(await res.clone().text(), `${where} is documented without a body`).toBe("");
    return;
  }
  const mediaType = res.headers.get("content-type")?.split(";")[0]?.trim() ?? "";
  const content = response!.content?.[mediaType];
  expect(
    content,
    `${where} answered ${mediaType || "no content type"}, which the document does not declare (declared: ${Object.keys(response!.content ?? {}).join(", ")})`,
  ).toBeDefined();
  const validate = validatorFor(`body ${where} ${mediaType}`, content!.schema);
  const text = await res.clone().text();
  const body = mediaType.endsWith("json") ? JSON.parse(text) : text;
  expect(validate(body) ? [] : validate.errors, `${where} does not match the documented schema`).toEqual([]);
}
