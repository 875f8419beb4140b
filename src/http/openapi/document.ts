import * as z from "zod/mini";
import { CONVERT_SCOPE } from "../../domain/conversion";
import { AUTH_REALM } from "../auth";
import { RETRY_AFTER_SECONDS } from "../error-handler";
import { ApiError, PROBLEM_CONTENT_TYPE, type ProblemCode, problemBody } from "../problem";
import {
  MAX_BODY_BYTES,
  refusalError,
  TURN_LEAD_INTO_CLIENT_PATH,
  turnLeadIntoClientBody,
} from "../routes/turn-lead-into-client";
import { healthSchema, problemSchema, userBodySchema } from "./schemas";
import { eventPaths, registerEventSchemas } from "./events";

// Builds the OpenAPI 3.1 description from the zod schemas the service validates
// with. The Worker serves what scripts/assets.ts wrote at build time; the Node
// entry builds it at start.

const EXAMPLE_REQUEST_ID = "3f0e9a4c-1d2b-4c5e-9f80-7a6b5c4d3e2f";
const EXAMPLE_LEAD = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c01";
const EXAMPLE_ENTITY = "5f8e0c1d-2b3a-4c5d-8e9f-a1b2c3d4e501";

function componentSchemas() {
  const registry = z.registry<{ id: string; description?: string }>();
  registry.add(turnLeadIntoClientBody, { id: "TurnLeadIntoClientRequest", description: "Both ids are UUIDs in any letter case; other members are ignored." });
  registry.add(userBodySchema, { id: "User", description: "The new client of the financial entity (the API calls it a user): always these 18 keys, in this order." });
  registry.add(problemSchema, { id: "Problem", description: "An error, as RFC 9457 problem details with a stable `code` and the request id." });
  registry.add(healthSchema, { id: "Health" });
  registerEventSchemas(registry);
  const { schemas } = z.toJSONSchema(registry, { io: "input", uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _, $id: __, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

const example = (error: ApiError) => ({
  summary: error.code,
  value: problemBody(error, EXAMPLE_REQUEST_ID),
});

const refusalExample = (kind: Parameters<typeof refusalError>[0]["kind"]) =>
  example(
    refusalError(
      kind === "client_already_exists"
        ? { kind, existingClientId: "c11e7a00-1b2c-4d3e-8f40-5a6b7c8d9e01" }
        : ({ kind } as Parameters<typeof refusalError>[0]),
    ),
  );

function problemResponse(description: string, examples: ReturnType<typeof example>[], headers: Record<string, unknown> = {}) {
  return {
    description,
    headers: { "X-Request-Id": header("XRequestId"), ...headers },
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: ref("Problem"),
        examples: Object.fromEntries(examples.map((e) => [e.summary, e])),
      },
    },
  };
}

const problem = (code: ProblemCode, detail: string, extensions?: ConstructorParameters<typeof ApiError>[2]) =>
  example(new ApiError(code, detail, extensions));

const describeCodes = (codes: string[]) => codes.map((c) => `\`${c}\``).join(", ");

/**
 * The OpenAPI 3.1 document of the API.
 *
 * @example
 * writeFileSync("dist/assets/openapi.json", JSON.stringify(buildOpenApiDocument("1.0.0")));
 */
export function buildOpenApiDocument(version: string) {
  const unavailable = problemResponse(
    "The database could not be reached or did not answer in time. Nothing was written; retrying is safe.",
    [problem("service_unavailable", "The database is unavailable right now; retrying is safe.")],
    { "Retry-After": header("RetryAfter") },
  );
  const internal = problemResponse("Something unexpected failed; the body never carries internals.", [
    problem("internal_error", "An unexpected error occurred."),
  ]);

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
            `Checks run in this order: body size (${MAX_BODY_BYTES} bytes at most), token, content type and body, scope and entity, then the data.`,
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
              description: "The lead became a client of the entity — now, or in an earlier request (a replay).",
              headers: { "X-Request-Id": header("XRequestId"), "Idempotent-Replayed": header("IdempotentReplayed") },
              content: {
                "application/json": {
                  schema: ref("User"),
                  example: {
                    _id: "99437d58-eb66-4906-8156-3d87fc3dd75e", image: null, name: "Laura", lastname: "Gómez",
                    business_name: "Panadería La Espiga S.A.S.", quota: 15000000, status: "active",
                    phone: "+57 300 555 0101", email: "laura.gomez@example.com", nit: "901.234.567-1",
                    address: "Calle 10 # 43-12, Medellín", history: [], score: 742,
                    payment_data: { bank: "Bancolombia" }, apn_token: "",
                    ecosystem: "0b7c2a52-6f1e-4d7a-9a57-3f0c2d1e8a01", business_entity: "S.A.S.", additional_data: {},
                  },
                },
              },
            },
            400: problemResponse("Malformed JSON, a missing field, or an id that is not a UUID; `errors` names each field.", [
              problem("validation_error", "The request body is not valid.", {
                extensions: { errors: [{ path: "lead_id", message: "lead_id must be a UUID" }] },
              }),
            ]),
            401: problemResponse(
              "No token, a malformed Authorization header, a bad signature, an expired or not-yet-valid token, or a wrong issuer or audience.",
              [problem("unauthorized", "The token has expired.")],
              { "WWW-Authenticate": header("WWWAuthenticate") },
            ),
            403: problemResponse(
              `${describeCodes(["forbidden", "insufficient_scope", "financial_entity_suspended"])}: the token acts for another entity, lacks the \`${CONVERT_SCOPE}\` scope, or the entity is suspended.`,
              [refusalExample("forbidden"), refusalExample("insufficient_scope"), refusalExample("financial_entity_suspended")],
            ),
            404: problemResponse(
              `${describeCodes(["financial_entity_not_found", "lead_not_found"])}: a lead of another ecosystem is reported exactly like a missing one.`,
              [refusalExample("financial_entity_not_found"), refusalExample("lead_not_found")],
            ),
            405: problemResponse("Only POST is allowed here; see `Allow`.", [problem("method_not_allowed", "This endpoint accepts POST.")]),
            409: problemResponse(
              `${describeCodes(["lead_assigned_to_other_entity", "lead_already_converted", "client_already_exists"])}: \`client_already_exists\` carries \`existing_user_id\`.`,
              [
                refusalExample("lead_assigned_to_other_entity"),
                refusalExample("lead_already_converted"),
                refusalExample("client_already_exists"),
              ],
            ),
            413: problemResponse(`The body is over ${MAX_BODY_BYTES} bytes.`, [
              problem("payload_too_large", `The request body must not exceed ${MAX_BODY_BYTES} bytes.`),
            ]),
            415: problemResponse("The body is not `application/json`.", [
              problem("unsupported_media_type", "The request body must be application/json."),
            ]),
            500: internal,
            503: unavailable,
          },
        },
      },
      "/healthz": {
        get: {
          operationId: "health",
          summary: "Liveness: the service answers (the database is not consulted)",
          responses: {
            200: { description: "Alive.", headers: { "X-Request-Id": header("XRequestId") }, content: { "application/json": { schema: ref("Health") } } },
          },
        },
      },
      "/readyz": {
        get: {
          operationId: "ready",
          summary: "Readiness: the database answers a trivial query",
          responses: {
            200: { description: "Ready.", headers: { "X-Request-Id": header("XRequestId") }, content: { "application/json": { schema: ref("Health") } } },
            503: unavailable,
          },
        },
      },
      ...eventPaths(),
      "/openapi.json": {
        get: {
          operationId: "openapi",
          summary: "This document",
          responses: { 200: { description: "The OpenAPI 3.1 document.", content: { "application/json": { schema: { type: "object" } } } } },
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
          description: `A JWT (HS256 with the shared secret; RS256/ES256 from your identity provider when a JWKS is configured). It must carry \`exp\`; it acts for the entity in \`financial_entity_id\`, or else \`sub\`; a \`scope\` claim must include \`${CONVERT_SCOPE}\` to convert, and \`webhooks:manage\` for webhook endpoints and events. Realm: \`${AUTH_REALM}\`.`,
        },
      },
      headers: {
        XRequestId: { description: "The request id; yours when you send a well-formed `X-Request-Id`.", schema: { type: "string" } },
        IdempotentReplayed: { description: "`true` when the answer is the client an earlier request created.", schema: { type: "string", enum: ["true"] } },
        RetryAfter: { description: "Seconds to wait before retrying.", schema: { type: "string", example: String(RETRY_AFTER_SECONDS) } },
        WWWAuthenticate: { description: "The Bearer challenge (RFC 6750); `error=\"invalid_token\"` when a token was sent.", schema: { type: "string" } },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
