import * as z from "zod/mini";
import { MAX_LIVE_API_KEYS } from "../../db/api-key-store";
import { MAX_BULK_LEADS } from "../../domain/convert-leads-to-clients";
import {
  API_KEY_SCOPES,
  CONVERT_SCOPE,
  LEADS_READ_SCOPE,
  MANAGE_KEYS_SCOPE,
  USERS_READ_SCOPE,
} from "../../domain/scopes";
import { AUTH_REALM, DEFAULT_RATE_LIMITS, insufficientScopeError } from "../auth";
import { DEFAULT_AUTH_FAILURES_PER_MINUTE, ENTITY_BUDGET_FACTOR } from "../auth/credential-limits";
import { RETRY_AFTER_SECONDS } from "../error-handler";
import { refusalError } from "../refusals";
import { API_KEYS_PATH, createApiKeyBody, MAX_API_KEY_BODY_BYTES } from "../routes/api-keys";
import { TURN_LEAD_INTO_CLIENT_PATH, turnLeadIntoClientBody } from "../routes/turn-lead-into-client";
import { TURN_LEADS_INTO_CLIENTS_PATH, toBulkItem, turnLeadsIntoClientsBody } from "../routes/turn-leads-into-clients";
import { MAX_BODY_BYTES } from "../validation";
import { eventPaths, registerEventSchemas } from "./events";
import { leadAssignmentPaths } from "./lead-assignment";
import { describeCodes, example, header, type ProblemExample, problem, problemContent, ref } from "./parts";
import {
  apiKeyListSchema,
  bulkResultsSchema,
  createdApiKeySchema,
  healthSchema,
  leadBodySchema,
  problemSchema,
  userBodySchema,
} from "./schemas";

// Builds the OpenAPI 3.1 description from the zod schemas the service validates
// with. The Worker serves what scripts/assets.ts wrote at build time; the Node
// entry builds it at start.

const EXAMPLE_LEAD = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c01";
const EXAMPLE_ENTITY = "5f8e0c1d-2b3a-4c5d-8e9f-a1b2c3d4e501";
const EXAMPLE_EXISTING_CLIENT = "c11e7a00-1b2c-4d3e-8f40-5a6b7c8d9e01";

function componentSchemas() {
  const registry = z.registry<{ id: string; description?: string }>();
  registry.add(turnLeadIntoClientBody, {
    id: "TurnLeadIntoClientRequest",
    description:
      "Both ids are UUIDs in any letter case; `on_existing_client` (default `reject`) says what to do when the entity already has a client with the lead's NIT: refuse with 409, or `link` the lead into it. Other members are ignored.",
  });
  registry.add(userBodySchema, {
    id: "User",
    description:
      "The new client of the financial entity (the API calls it a user): always these 18 keys, in this order.",
  });
  registry.add(turnLeadsIntoClientsBody, {
    id: "TurnLeadsIntoClientsRequest",
    description: `1–${MAX_BULK_LEADS} distinct lead ids (compared in lowercase), UUIDs in any letter case; other members are ignored.`,
  });
  registry.add(bulkResultsSchema, {
    id: "BulkResults",
    description:
      "One result per requested lead, index-aligned with `lead_ids`: a 200 item carries the client, a 404/409 item the problem the single endpoint would answer.",
  });
  registry.add(leadBodySchema, {
    id: "Lead",
    description:
      "A lead, as its ecosystem's entities may see it: always these 22 keys, in this order; times are ISO 8601 UTC.",
  });
  registry.add(problemSchema, {
    id: "Problem",
    description: "An error, as RFC 9457 problem details with a stable `code` and the request id.",
  });
  registry.add(healthSchema, { id: "Health" });
  registerEventSchemas(registry);
  registry.add(createApiKeyBody, {
    id: "CreateApiKeyRequest",
    description:
      "`expires_at`, when given, is ISO 8601 with a zone, must lie in the future and at most 10 years ahead; it is stored as that instant in UTC.",
  });
  registry.add(createdApiKeySchema, {
    id: "CreatedApiKey",
    description: "The new key: `key` is shown this once and never again.",
  });
  registry.add(apiKeyListSchema, { id: "ApiKeyList", description: "Integration keys as listed: never the key text." });
  const { schemas } = z.toJSONSchema(registry, { io: "input", uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _, $id: __, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

const cacheControl = (value: string) => ({
  description: "How long this may be cached.",
  required: true,
  schema: { type: "string", const: value },
});

const refusalExample = (kind: Parameters<typeof refusalError>[0]["kind"]) =>
  example(
    refusalError(
      kind === "client_already_exists"
        ? { kind, existingClientId: EXAMPLE_EXISTING_CLIENT }
        : ({ kind } as Parameters<typeof refusalError>[0]),
    ),
  );

// Every response carries these two; the API's never may be cached (bodies carry personal data).
const commonHeaders = () => ({ "X-Request-Id": header("XRequestId"), "Cache-Control": header("CacheControlNoStore") });

function problemResponse(description: string, examples: ProblemExample[], headers: Record<string, unknown> = {}) {
  return { description, headers: { ...commonHeaders(), ...headers }, content: problemContent(examples) };
}

const EXAMPLE_USER = {
  _id: "99437d58-eb66-4906-8156-3d87fc3dd75e",
  image: null,
  name: "Laura",
  lastname: "Gómez",
  business_name: "Panadería La Espiga S.A.S.",
  quota: 15000000,
  status: "active",
  phone: "+57 300 555 0101",
  email: "laura.gomez@example.com",
  nit: "901.234.567-1",
  address: "Calle 10 # 43-12, Medellín",
  history: [],
  score: 742,
  payment_data: { bank: "Bancolombia" },
  apn_token: "",
  ecosystem: "0b7c2a52-6f1e-4d7a-9a57-3f0c2d1e8a01",
  business_entity: "S.A.S.",
  additional_data: {},
};

/** 401, the same on every route: one answer for every kind of bad credential. */
const unauthorizedResponse = () =>
  problemResponse(
    "No token, a malformed Authorization header, a bad signature, an expired or not-yet-valid token, a wrong issuer or audience, or an integration key that is malformed, unknown, revoked or expired (one answer for all four).",
    [problem("unauthorized", "The token has expired.")],
    { "WWW-Authenticate": header("WWWAuthenticate") },
  );

/** 403 of the conversion endpoints, single and bulk. */
const conversionForbiddenResponse = () =>
  problemResponse(
    `${describeCodes(["forbidden", "insufficient_scope", "financial_entity_suspended"])}: the token acts for another entity, lacks the \`${CONVERT_SCOPE}\` scope, or the entity is suspended.`,
    [refusalExample("forbidden"), refusalExample("insufficient_scope"), refusalExample("financial_entity_suspended")],
  );

/** 405, naming the methods the path accepts (as its `Allow` does). */
const methodNotAllowedResponse = (allow: string) =>
  problemResponse(
    `Only ${allow} is allowed here; see \`Allow\`.`,
    [problem("method_not_allowed", `This endpoint accepts ${allow}.`)],
    {
      Allow: header("Allow"),
    },
  );

/** 413 of an endpoint whose body may be at most `maxBytes` long. */
const payloadTooLargeResponse = (maxBytes: number) =>
  problemResponse(`The body is over ${maxBytes} bytes.`, [
    problem("payload_too_large", `The request body must not exceed ${maxBytes} bytes.`),
  ]);

/** 415 of an endpoint that requires a JSON body. */
const unsupportedMediaTypeResponse = () =>
  problemResponse(
    "The body is not `application/json` (see `Accept`), or it is compressed: any `Content-Encoding` but `identity` (see `Accept-Encoding`).",
    [problem("unsupported_media_type", "The request body must be application/json.")],
    { Accept: header("AcceptJson"), "Accept-Encoding": header("AcceptEncodingIdentity") },
  );

/** The responses every authenticated GET shares: token, scope, method, failures. */
function readResponses(scope: string, allow: string, internal: object, unavailable: object) {
  return {
    401: unauthorizedResponse(),
    403: problemResponse(
      `\`insufficient_scope\`: the token's or the integration key's scopes lack \`${scope}\`.`,
      [example(insufficientScopeError(scope))],
      { "WWW-Authenticate": header("WWWAuthenticate") },
    ),
    405: methodNotAllowedResponse(allow),
    500: internal,
    503: unavailable,
  };
}

const pathParameter = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string", format: "uuid" },
});

/**
 * The OpenAPI 3.1 document of the API.
 *
 * @example
 * writeFileSync("dist/assets/openapi.json", JSON.stringify(buildOpenApiDocument("1.0.0")));
 */
export function buildOpenApiDocument(version: string) {
  const unavailableExample = problem("service_unavailable", "The database is unavailable right now; retrying is safe.");
  const rateLimited = (budget: "conversions" | "requests") =>
    problemResponse(
      `This credential is over its budget of ${DEFAULT_RATE_LIMITS[budget]} ${budget} per minute (the default), or its entity over ${ENTITY_BUDGET_FACTOR}× that for all its credentials together (\`"entity-${budget}"\`), or — for an integration key not yet seen working — its client address sent ${DEFAULT_AUTH_FAILURES_PER_MINUTE} keys that failed in the last minute (\`"auth-failures"\`); nothing was done. Checked right after the credential.`,
      [
        problem(
          "rate_limited",
          `This credential is over its budget of ${DEFAULT_RATE_LIMITS[budget]} ${budget} per minute.`,
        ),
      ],
      { "Retry-After": header("RetryAfter"), "RateLimit-Policy": header("RateLimitPolicy") },
    );
  const keyUnauthorized = problemResponse(
    "No token or key, a malformed Authorization header, an invalid token, or an integration key that is malformed, unknown, revoked or expired (all answered alike).",
    [problem("unauthorized", "The integration key is not valid.")],
    { "WWW-Authenticate": header("WWWAuthenticate") },
  );
  const keyManagementForbidden = problemResponse(
    `\`forbidden\`: an integration key was sent (keys cannot manage keys); \`insufficient_scope\`: the token does not name \`${MANAGE_KEYS_SCOPE}\` in its scopes.`,
    [
      problem("forbidden", "Integration keys cannot manage keys; use a token."),
      example(insufficientScopeError(MANAGE_KEYS_SCOPE)),
    ],
  );
  const keysSecurity = [{ bearerAuth: [MANAGE_KEYS_SCOPE] }];
  const unavailable = problemResponse(
    "The database could not be reached, was busy or did not answer in time; `Retry-After` says when to try again. The conversion may or may not have happened (an answer can be lost after the commit): retrying the same request is safe and returns its outcome — a replay if it happened.",
    [unavailableExample],
    { "Retry-After": header("RetryAfter") },
  );
  const notReady = problemResponse(
    "The database could not be reached, was busy or did not answer in time.",
    [unavailableExample],
    {
      "Retry-After": header("RetryAfter"),
    },
  );
  const internal = problemResponse(
    "Something unexpected failed — a fault of the service, not of the database; the body never carries internals.",
    [problem("internal_error", "An unexpected error occurred.")],
  );
  const docsNotInstalled = problemResponse(
    "The API reference is not installed here (a production-only install that never ran `npm run assets`).",
    [problem("service_unavailable", "The API reference is not installed here.")],
  );

  return {
    openapi: "3.1.0",
    info: {
      title: "Lead to client conversion API",
      version,
      description:
        "Turns a sales lead into a client of a financial entity. Retries are safe: a conversion that already happened is replayed, never repeated.",
    },
    paths: {
      [TURN_LEAD_INTO_CLIENT_PATH]: {
        post: {
          operationId: "turnLeadIntoClient",
          summary: "Convert a lead into a client of a financial entity",
          description: [
            "Creates the client from the lead's profile, marks the lead converted (its assignment becomes final) and records an audit entry — in one transaction.",
            "Sending the same request again returns the same client with `Idempotent-Replayed: true` and writes nothing; simultaneous identical requests make exactly one client.",
            'With `on_existing_client: "link"`, a lead whose NIT the entity already has as a client is converted into that client instead of a 409: the client\'s null `image`, `name`, `lastname`, `business_name`, `quota`, `phone`, `email`, `address`, `score` and `business_entity` are filled from the lead, nothing else changes, and the answer carries `Lead-Linked: true` (its replays too).',
            `Checks run in this order: body size (${MAX_BODY_BYTES} bytes at most), token, rate limit, content type and body, scope and entity, then the data. With an integration key, the key's state, scope and entity are read in the conversion's own database request, after the body.`,
          ].join("\n\n"),
          security: [{ bearerAuth: [CONVERT_SCOPE] }],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref("TurnLeadIntoClientRequest"),
                example: { lead_id: EXAMPLE_LEAD, financial_entity_id: EXAMPLE_ENTITY },
              },
            },
          },
          responses: {
            200: {
              description:
                'The lead became a client of the entity — now, or in an earlier request (a replay); with `on_existing_client: "link"`, possibly the client the entity already had (`Lead-Linked: true`).',
              headers: {
                ...commonHeaders(),
                "Idempotent-Replayed": header("IdempotentReplayed"),
                "Lead-Linked": header("LeadLinked"),
              },
              content: {
                "application/json": {
                  schema: ref("User"),
                  example: EXAMPLE_USER,
                },
              },
            },
            400: problemResponse(
              "Malformed JSON, a missing field, or an id that is not a UUID; `errors` names each field.",
              [
                problem("validation_error", "The request body is not valid.", {
                  extensions: { errors: [{ path: "lead_id", message: "lead_id must be a UUID" }] },
                }),
              ],
            ),
            401: unauthorizedResponse(),
            403: conversionForbiddenResponse(),
            404: problemResponse(
              `${describeCodes(["financial_entity_not_found", "lead_not_found"])}: a lead of another ecosystem is reported exactly like a missing one.`,
              [refusalExample("financial_entity_not_found"), refusalExample("lead_not_found")],
            ),
            405: methodNotAllowedResponse("POST"),
            409: problemResponse(
              `${describeCodes(["lead_assigned_to_other_entity", "lead_already_converted", "client_already_exists"])}: \`client_already_exists\` carries \`existing_user_id\`.`,
              [
                refusalExample("lead_assigned_to_other_entity"),
                refusalExample("lead_already_converted"),
                refusalExample("client_already_exists"),
              ],
            ),
            413: payloadTooLargeResponse(MAX_BODY_BYTES),
            415: unsupportedMediaTypeResponse(),
            429: rateLimited("conversions"),
            500: internal,
            503: unavailable,
          },
        },
      },
      [API_KEYS_PATH]: {
        post: {
          operationId: "createApiKey",
          summary: "Create an integration key for the token's entity",
          description: [
            "Integration keys are static credentials for tools that cannot mint tokens (HubSpot workflows, Zapier, Make, n8n): send `Authorization: Bearer lck_…` wherever a token is accepted, except here.",
            "The key text is in this answer only; the service keeps its SHA-256. Revoking a key stops it on the very next request.",
            `Management needs a token that names \`${MANAGE_KEYS_SCOPE}\` in its scopes (a token without a scope claim carries every other scope, not this one). Scopes a key may carry: ${describeCodes([...API_KEY_SCOPES])}.`,
            `An entity holds at most ${MAX_LIVE_API_KEYS} keys that are not revoked; the next is 409 \`limit_reached\` (revoke one first).`,
          ].join("\n\n"),
          security: keysSecurity,
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref("CreateApiKeyRequest"),
                example: { name: "HubSpot workflow", scopes: ["leads:convert"], expires_at: "2027-12-31T23:59:59Z" },
              },
            },
          },
          responses: {
            201: {
              description: "The key; `key` is never shown again.",
              headers: { "X-Request-Id": header("XRequestId") },
              content: { "application/json": { schema: ref("CreatedApiKey") } },
            },
            400: problemResponse(
              "Malformed JSON, a missing name or scope, an unknown scope, or an `expires_at` that is not an ISO 8601 date-time in the future and at most 10 years ahead.",
              [
                problem("validation_error", "The request body is not valid.", {
                  extensions: { errors: [{ path: "expires_at", message: "expires_at must lie in the future" }] },
                }),
              ],
            ),
            401: keyUnauthorized,
            403: keyManagementForbidden,
            404: problemResponse("The token's entity does not exist.", [
              problem("financial_entity_not_found", "No financial entity exists with this id."),
            ]),
            405: problemResponse("See `Allow`.", [problem("method_not_allowed", "This endpoint accepts GET, POST.")]),
            409: problemResponse(`The entity already holds ${MAX_LIVE_API_KEYS} keys that are not revoked.`, [
              problem(
                "limit_reached",
                `The financial entity already holds ${MAX_LIVE_API_KEYS} integration keys that are not revoked; revoke one first.`,
              ),
            ]),
            413: payloadTooLargeResponse(MAX_API_KEY_BODY_BYTES),
            415: unsupportedMediaTypeResponse(),
            429: rateLimited("requests"),
            500: internal,
            503: unavailable,
          },
        },
        get: {
          operationId: "listApiKeys",
          summary: "List the integration keys of the token's entity, revoked ones included",
          security: keysSecurity,
          responses: {
            200: {
              description: "Every key of the entity, oldest first.",
              headers: { "X-Request-Id": header("XRequestId") },
              content: { "application/json": { schema: ref("ApiKeyList") } },
            },
            401: keyUnauthorized,
            403: keyManagementForbidden,
            429: rateLimited("requests"),
            500: internal,
            503: unavailable,
          },
        },
      },
      [`${API_KEYS_PATH}/{id}`]: {
        delete: {
          operationId: "revokeApiKey",
          summary: "Revoke an integration key: refused from the very next request",
          security: keysSecurity,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } }],
          responses: {
            204: { description: "Revoked (or already revoked).", headers: { "X-Request-Id": header("XRequestId") } },
            401: keyUnauthorized,
            403: keyManagementForbidden,
            404: problemResponse("No key with this id belongs to the token's entity.", [
              problem("api_key_not_found", "No integration key with this id exists for this financial entity."),
            ]),
            405: problemResponse("See `Allow`.", [problem("method_not_allowed", "This endpoint accepts DELETE.")]),
            429: rateLimited("requests"),
            500: internal,
            503: unavailable,
          },
        },
      },
      [TURN_LEADS_INTO_CLIENTS_PATH]: {
        post: {
          operationId: "turnLeadsIntoClients",
          summary: `Convert up to ${MAX_BULK_LEADS} leads into clients of a financial entity, in one call`,
          description: [
            "Each lead is decided exactly as `POST /turn-lead-into-client` decides it, in request order (of two leads with the same NIT, the first converts and the later one gets `client_already_exists` naming it), and each is atomic on its own: partial success.",
            "The whole call is one database request. Retrying it is safe: converted leads come back as replays.",
            "Problems of the whole request (token, body, scope, entity) answer as on the single endpoint; a suspended entity gets 403 even when some leads would be replays.",
          ].join("\n\n"),
          security: [{ bearerAuth: [CONVERT_SCOPE] }],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: ref("TurnLeadsIntoClientsRequest"),
                example: {
                  financial_entity_id: EXAMPLE_ENTITY,
                  lead_ids: [EXAMPLE_LEAD, "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c02"],
                },
              },
            },
          },
          responses: {
            200: {
              description: "One result per lead, in the request's order.",
              headers: commonHeaders(),
              content: {
                "application/json": {
                  schema: ref("BulkResults"),
                  example: {
                    results: [
                      { lead_id: EXAMPLE_LEAD, status: 200, replayed: false, linked: false, user: EXAMPLE_USER },
                      toBulkItem("9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c02", {
                        kind: "client_already_exists",
                        existingClientId: EXAMPLE_EXISTING_CLIENT,
                      }),
                    ],
                  },
                },
              },
            },
            400: problemResponse(
              `Malformed JSON, a missing field, an id that is not a UUID, no ids, more than ${MAX_BULK_LEADS}, or a repeated id; \`errors\` names each field.`,
              [
                problem("validation_error", "The request body is not valid.", {
                  extensions: {
                    errors: [
                      { path: "lead_ids", message: "lead_ids must not repeat an id (ids are compared in lowercase)" },
                    ],
                  },
                }),
              ],
            ),
            401: unauthorizedResponse(),
            403: conversionForbiddenResponse(),
            404: problemResponse(
              "`financial_entity_not_found`: no such entity. (A missing lead is an item of the 200.)",
              [refusalExample("financial_entity_not_found")],
            ),
            429: rateLimited("conversions"),
            405: methodNotAllowedResponse("POST"),
            413: payloadTooLargeResponse(MAX_BODY_BYTES),
            415: unsupportedMediaTypeResponse(),
            500: internal,
            503: unavailable,
          },
        },
      },
      "/users/{user_id}": {
        get: {
          operationId: "getUser",
          summary: "Read a client of the token's financial entity",
          description:
            "One database request. Another entity's client is answered exactly like a missing one: `404 user_not_found`.",
          security: [{ bearerAuth: [USERS_READ_SCOPE] }],
          parameters: [pathParameter("user_id", "The client's `_id`, in any letter case.")],
          responses: {
            200: {
              description: "The client: the same 18 keys the conversion answers with.",
              headers: commonHeaders(),
              content: { "application/json": { schema: ref("User"), example: EXAMPLE_USER } },
            },
            404: problemResponse(
              "`user_not_found`: no such client, a client of another financial entity (indistinguishable), or an id that is not a UUID.",
              [problem("user_not_found", "No user with this id exists for the financial entity.")],
            ),
            ...readResponses(USERS_READ_SCOPE, "GET, HEAD", internal, unavailable),
            429: rateLimited("requests"),
          },
        },
      },
      "/leads/{lead_id}": {
        get: {
          operationId: "getLead",
          summary: "Read a lead the token's financial entity may see",
          description:
            "Visible to an entity of the lead's ecosystem while the lead is unassigned, assigned to it, or converted by it. One database request.",
          security: [{ bearerAuth: [LEADS_READ_SCOPE] }],
          parameters: [pathParameter("lead_id", "The lead's id, in any letter case.")],
          responses: {
            200: {
              description: "The lead.",
              headers: commonHeaders(),
              content: {
                "application/json": {
                  schema: ref("Lead"),
                  example: {
                    id: EXAMPLE_LEAD,
                    status: "qualified",
                    ecosystem: "0b7c2a52-6f1e-4d7a-9a57-3f0c2d1e8a01",
                    financial_entity_id: null,
                    converted_user_id: null,
                    converted_at: null,
                    created_at: "2026-11-02T14:05:09.120Z",
                    image: null,
                    name: "Laura",
                    lastname: "Gómez",
                    business_name: "Panadería La Espiga S.A.S.",
                    quota: 15000000,
                    phone: "+57 300 555 0101",
                    email: "laura.gomez@example.com",
                    nit: "901.234.567-1",
                    address: "Calle 10 # 43-12, Medellín",
                    history: [{ event: "called" }],
                    score: 742,
                    payment_data: { bank: "Bancolombia" },
                    apn_token: null,
                    business_entity: "S.A.S.",
                    additional_data: {},
                  },
                },
              },
            },
            404: problemResponse(
              "`lead_not_found`: no such lead, a lead of another ecosystem, assigned to or converted by another entity (indistinguishable), or an id that is not a UUID.",
              [problem("lead_not_found", "No lead with this id is visible to the financial entity.")],
            ),
            ...readResponses(LEADS_READ_SCOPE, "GET, HEAD", internal, unavailable),
            429: rateLimited("requests"),
          },
        },
      },
      "/healthz": {
        get: {
          operationId: "health",
          summary: "Liveness: the service answers (the database is not consulted)",
          responses: {
            200: {
              description: "Alive.",
              headers: commonHeaders(),
              content: { "application/json": { schema: ref("Health") } },
            },
          },
        },
      },
      "/readyz": {
        get: {
          operationId: "ready",
          summary: "Readiness: the database answers a trivial query",
          responses: {
            200: {
              description: "Ready.",
              headers: commonHeaders(),
              content: { "application/json": { schema: ref("Health") } },
            },
            503: notReady,
          },
        },
      },
      ...eventPaths(),
      ...leadAssignmentPaths(),
      "/openapi.json": {
        get: {
          operationId: "openapi",
          summary: "This document",
          responses: {
            200: {
              description: "The OpenAPI 3.1 document; public, revalidated on every use (a deploy changes it).",
              headers: { "X-Request-Id": header("XRequestId"), "Cache-Control": cacheControl("no-cache") },
              content: { "application/json": { schema: { type: "object" } } },
            },
            404: problemResponse("This deployment has no OpenAPI document.", [
              problem("not_found", "This deployment has no OpenAPI document."),
            ]),
          },
        },
      },
      "/docs": {
        get: {
          operationId: "docs",
          summary: "The interactive API reference (Scalar), served with its own script: nothing from a CDN",
          responses: {
            200: {
              description: "The page.",
              headers: commonHeaders(),
              content: { "text/html": { schema: { type: "string" } } },
            },
            503: docsNotInstalled,
          },
        },
      },
      "/docs/scalar.js": {
        get: {
          operationId: "docsScript",
          summary: "The docs page's script: this service's copy of one pinned Scalar version",
          responses: {
            200: {
              description: "The script; public and cached for a day.",
              headers: { "X-Request-Id": header("XRequestId"), "Cache-Control": cacheControl("public, max-age=86400") },
              content: { "text/javascript": { schema: { type: "string" } } },
            },
            503: docsNotInstalled,
          },
        },
      },
    },
    components: {
      schemas: { ...componentSchemas() },
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: `An integration key (\`lck_…\`, created with \`POST /api-keys\`; accepted wherever a token is, except key management), or a JWT (HS256 with the shared secret; RS256/ES256 from your identity provider when a JWKS is configured). It must carry \`exp\`; it acts for the entity in \`financial_entity_id\`, or else \`sub\`; its \`scope\` claim, or else \`scp\` (a space-separated string or an array), must include \`${CONVERT_SCOPE}\` to convert, and \`webhooks:manage\` for webhook endpoints and events; \`typ\` may be absent, \`JWT\` or \`at+jwt\`. Realm: \`${AUTH_REALM}\`.`,
        },
      },
      headers: {
        XRequestId: {
          description:
            "The request id: yours when you send an `X-Request-Id` of 1–200 visible ASCII characters without spaces or quotes, else a new UUID.",
          required: true,
          schema: { type: "string", pattern: "^[\\x21\\x23-\\x26\\x28-\\x7e]{1,200}$" },
        },
        CacheControlNoStore: {
          description: "Never cached: bodies carry personal data, and errors echo ids.",
          required: true,
          schema: { type: "string", const: "no-store" },
        },
        IdempotentReplayed: {
          description: "`true` when the answer is the client an earlier request created; absent otherwise.",
          schema: { type: "string", enum: ["true"] },
        },
        LeadLinked: {
          description:
            '`true` when the lead went into a client the entity already had (`on_existing_client: "link"`), now or in the request this one replays; absent otherwise.',
          schema: { type: "string", enum: ["true"] },
        },
        RetryAfter: {
          description: "Seconds to wait before retrying.",
          required: true,
          schema: { type: "string", pattern: "^[0-9]+$", example: String(RETRY_AFTER_SECONDS) },
        },
        RateLimitPolicy: {
          description:
            'The budget that was exceeded (IETF httpapi-ratelimit-headers), e.g. `"conversions";q=600;w=60`: the credential\'s (`conversions`, `requests`), its entity\'s — all its credentials together, 3× by default (`entity-conversions`, `entity-requests`) — or the client address\'s keys that failed (`"auth-failures";q=30;w=60`).',
          required: true,
          schema: {
            type: "string",
            pattern: '^"(conversions|requests|entity-conversions|entity-requests|auth-failures)";q=[0-9]+;w=60$',
            example: `"conversions";q=${DEFAULT_RATE_LIMITS.conversions};w=60`,
          },
        },
        WWWAuthenticate: {
          description: 'The Bearer challenge (RFC 6750); `error="invalid_token"` when a token was sent.',
          required: true,
          schema: { type: "string", pattern: "^Bearer " },
        },
        Allow: {
          description: "The methods this path accepts.",
          required: true,
          schema: { type: "string", pattern: "^[A-Z]+(, [A-Z]+)*$" },
        },
        AcceptJson: {
          description: "Sent when the content type was refused: the one accepted.",
          schema: { type: "string", const: "application/json" },
        },
        AcceptEncodingIdentity: {
          description: "Sent when a compressed body was refused (RFC 7694): bodies are accepted uncompressed only.",
          schema: { type: "string", const: "identity" },
        },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
