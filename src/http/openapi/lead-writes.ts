import * as z from "zod/mini";
import { MAX_BULK_NEW_LEADS, MAX_LEAD_JSON_BYTES } from "../../domain/lead-intake";
import { LEADS_WRITE_SCOPE } from "../../domain/scopes";
import { DEFAULT_RATE_LIMITS } from "../auth";
import {
  LEAD_PATCH_MEDIA_TYPES,
  leadPatchBody,
  MAX_BULK_LEADS_BODY_BYTES,
  MAX_LEAD_TEXT_CHARS,
  newLeadBody,
  newLeadsBody,
} from "../lead-fields";
import { leadRefusalError, toBulkLeadItem } from "../lead-problems";
import { ApiError } from "../problem";
import { MAX_BODY_BYTES } from "../validation";
import type { SchemaComponent } from "./contract";
import { example, header, problemContent, ref } from "./parts";
import { type DocumentedProblem as Documented, problemsByStatus as problems } from "./responses";
import { leadBodySchema, problemSchema } from "./schemas";

// The lead writes of the OpenAPI document: POST /leads, POST /leads/bulk, PATCH /leads/{lead_id}.

const EXAMPLE_LEAD_ID = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c01";
const EXAMPLE_OTHER_LEAD_ID = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c02";

/** `POST /leads/bulk`'s answer: one result per lead, index-aligned. A function, so the Worker never builds it. */
export const bulkLeadResultsSchema = (): z.core.$ZodType =>
  z.strictObject({
    results: z.array(
      z.union([
        z.strictObject({
          index: z.int(),
          status: z.union([z.literal(201), z.literal(200)]),
          lead: z.strictObject({ ...leadBodySchema().def.shape }),
        }),
        z.strictObject({
          index: z.int(),
          status: z.union([z.literal(400), z.literal(409)]),
          problem: z.omit(problemSchema(), { request_id: true }),
        }),
      ]),
    ),
  });

/** The component schemas of the lead writes. */
export const leadWriteSchemas = (): Record<string, SchemaComponent> => ({
  NewLeadRequest: {
    schema: newLeadBody,
    description: `Every member optional. Text at most ${MAX_LEAD_TEXT_CHARS} characters (no NUL); \`history\` an array, \`payment_data\` and \`additional_data\` objects, each at most ${MAX_LEAD_JSON_BYTES} bytes as JSON; \`quota\` and \`score\` numbers (or numeric strings). \`status\` defaults to \`new\` (never \`converted\`). \`external_id\`: your own id for the lead, 1–128 visible ASCII characters. \`financial_entity_id\`: absent or your entity's id assigns the lead to you; null puts it in the ecosystem's shared pool. Other members are ignored.`,
  },
  NewLeadsRequest: {
    schema: newLeadsBody,
    description: `1–${MAX_BULK_NEW_LEADS} leads, each as \`POST /leads\` takes one; no two with one \`external_id\`.`,
  },
  LeadPatch: {
    schema: leadPatchBody,
    description:
      "A JSON merge patch (RFC 7396) of the profile and `status`: a member set to null clears the field, `payment_data` and `additional_data` are merged member by member, any other member replaces the value; members left out stay. `id`, `external_id`, `financial_entity_id`, `ecosystem`, `converted_user_id`, `converted_at` and `created_at` cannot be changed; other members are ignored.",
  },
  BulkLeadResults: {
    schema: bulkLeadResultsSchema(),
    description:
      "One result per lead, index-aligned with `leads`: 201 (created) or 200 (a replay) with the lead, or 400/409 with the problem `POST /leads` would answer.",
  },
});

const leadAnswer = (description: string, extra: Record<string, unknown> = {}) => ({
  description,
  headers: {
    "X-Request-Id": header("XRequestId"),
    "Cache-Control": header("CacheControlNoStore"),
    ETag: header("ETag"),
    ...extra,
  },
  content: { "application/json": { schema: ref("Lead") } },
});

const exampleOf = (refusal: Parameters<typeof leadRefusalError>[0]) => example(leadRefusalError(refusal));
const documented = (refusal: Parameters<typeof leadRefusalError>[0]): Documented => {
  const error = leadRefusalError(refusal);
  return [error.code, error.detail];
};

const credential: Documented[] = [
  ["unauthorized", "A bearer token is required in the Authorization header."],
  ["insufficient_scope", `The token's scope does not include "${LEADS_WRITE_SCOPE}".`],
];
const failures: Documented[] = [
  ["rate_limited", `This credential is over its budget of ${DEFAULT_RATE_LIMITS.requests} requests per minute.`],
  ["internal_error", "An unexpected error occurred."],
  ["service_unavailable", "The database is unavailable right now; retrying is safe."],
];
const refusedMediaType = (accepted: string) =>
  ["unsupported_media_type", `The request body must be ${accepted}.`] as Documented;

/** The 409 of a create, with both codes and the `existing_lead_id` they may carry. */
const createConflicts = () => ({
  description:
    "`external_id_conflict`: the entity already made a lead with this `external_id` from another request (or one it can no longer see); `existing_lead_id` names it. `lead_already_exists`: an unconverted lead of the ecosystem has the same NIT; `existing_lead_id` names it only when the entity may see it.",
  headers: { "X-Request-Id": header("XRequestId") },
  content: problemContent([
    exampleOf({ kind: "external_id_conflict", existingLeadId: EXAMPLE_LEAD_ID }),
    exampleOf({ kind: "lead_already_exists", existingLeadId: EXAMPLE_LEAD_ID }),
  ]),
});

const entityProblems: Documented[] = [
  documented({ kind: "forbidden" }),
  documented({ kind: "financial_entity_suspended" }),
  documented({ kind: "financial_entity_not_found" }),
];

const validation = (path: string, message: string): Documented => ["validation_error", `${path}: ${message}`];

/** `POST /leads`, `POST /leads/bulk`, and the `patch` operation of `/leads/{lead_id}`. */
export function leadWritePaths() {
  const security = [{ bearerAuth: [LEADS_WRITE_SCOPE] }];
  return {
    "/leads": {
      post: {
        operationId: "createLead",
        summary: "Create a lead: assigned to the credential's entity, or in the ecosystem's shared pool",
        description: [
          "One database request. Retrying with the same `external_id` and the same fields is a replay: the same lead, `200` with `Idempotent-Replayed: true`, nothing written; simultaneous identical requests make exactly one lead. Without `external_id`, two identical requests make two leads unless the NIT rule stops the second.",
          "A NIT that an unconverted lead of the ecosystem already has (compared by its key: `900.123.456-8` is `900123456`) is 409 `lead_already_exists`.",
          "The new lead is announced with `lead.created`: to the entity, or for a pool lead to every active entity of the ecosystem with an endpoint subscribed to it.",
          `Checks run in this order: body size (${MAX_BODY_BYTES} bytes at most), credential, rate limit, content type and body, scope and entity, then the data.`,
        ].join("\n\n"),
        security,
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: ref("NewLeadRequest"),
              example: { name: "Laura", lastname: "Gómez", nit: "901.234.567-1", external_id: "hubspot-4711" },
            },
          },
        },
        responses: {
          201: leadAnswer("Created; `Location` is the lead's address.", { Location: header("Location") }),
          200: leadAnswer("A replay: the lead an earlier request with this `external_id` made.", {
            Location: header("Location"),
            "Idempotent-Replayed": header("IdempotentReplayed"),
          }),
          ...problems([
            validation("nit", "nit must be a string or null"),
            ...credential,
            ...entityProblems,
            ["payload_too_large", `The request body must not exceed ${MAX_BODY_BYTES} bytes.`],
            refusedMediaType("application/json"),
            ...failures,
          ]),
          409: createConflicts(),
        },
      },
    },
    "/leads/bulk": {
      post: {
        operationId: "createLeads",
        summary: `Create up to ${MAX_BULK_NEW_LEADS} leads in one call`,
        description: [
          "Each lead is decided exactly as `POST /leads` decides it, in request order (of two leads with one NIT, the later gets `lead_already_exists` naming the earlier), each on its own: partial success. Results are index-aligned.",
          "The whole call is one database request, whatever the number of leads; retrying it is safe when the leads carry `external_id`s. Each lead counts one request against the credential's budget.",
          `Problems of the whole call (body over ${MAX_BULK_LEADS_BODY_BYTES} bytes, credential, a malformed body, two leads with one \`external_id\`, scope, entity) answer as on \`POST /leads\`.`,
        ].join("\n\n"),
        security,
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: ref("NewLeadsRequest"),
              example: {
                leads: [
                  { name: "Laura", nit: "901.234.567-1" },
                  { name: "Ana", financial_entity_id: null },
                ],
              },
            },
          },
        },
        responses: {
          200: {
            description: "One result per lead, in the request's order.",
            headers: { "X-Request-Id": header("XRequestId"), "Cache-Control": header("CacheControlNoStore") },
            content: {
              "application/json": {
                schema: ref("BulkLeadResults"),
                example: {
                  results: [
                    toBulkLeadItem(1, { kind: "lead_already_exists", existingLeadId: EXAMPLE_OTHER_LEAD_ID }),
                    toBulkLeadItem(
                      2,
                      new ApiError("validation_error", "The lead is not valid.", {
                        extensions: { errors: [{ path: "quota", message: "quota must be a number or null" }] },
                      }),
                    ),
                  ],
                },
              },
            },
          },
          ...problems([
            validation("leads.1.external_id", "external_id repeats that of leads.0"),
            ...credential,
            ...entityProblems,
            ["payload_too_large", `The request body must not exceed ${MAX_BULK_LEADS_BODY_BYTES} bytes.`],
            refusedMediaType("application/json"),
            ...failures,
          ]),
        },
      },
    },
  };
}

/** `PATCH /leads/{lead_id}`, for the path `GET` already describes. */
export function leadPatchOperation(leadIdParameter: object) {
  return {
    operationId: "updateLead",
    summary: "Change a lead the credential's entity holds, with a JSON merge patch",
    description: [
      "Only the entity the lead is assigned to changes it, while it is not converted: a pool lead is 409 `lead_not_assigned` (assign it first), a converted one 409 `lead_already_converted`; a lead of another entity or ecosystem is 404, as for reads.",
      "`If-Match` (optional) with the `ETag` of the lead as you read it: when the lead changed since, 412 `precondition_failed` and nothing is written. A patch that changes nothing writes nothing and sends no event; one that changes something announces `lead.updated` to the entity, with `changed` naming the fields.",
      `A merge that would leave \`payment_data\` or \`additional_data\` over ${MAX_LEAD_JSON_BYTES} bytes as JSON is 400 \`validation_error\` naming the member, as a create with it that large would be; nothing is written.`,
      "A NIT another unconverted lead of the ecosystem has is 409 `lead_already_exists`. One database request.",
    ].join("\n\n"),
    security: [{ bearerAuth: [LEADS_WRITE_SCOPE] }],
    parameters: [
      leadIdParameter,
      {
        name: "If-Match",
        in: "header",
        required: false,
        description: "The lead's `ETag` as you read it (or `*`): the change is made only while it is still current.",
        schema: { type: "string" },
      },
    ],
    requestBody: {
      required: true,
      content: Object.fromEntries(
        LEAD_PATCH_MEDIA_TYPES.map((type) => [
          type,
          { schema: ref("LeadPatch"), example: { status: "contacted", payment_data: { bank: null, account: "1234" } } },
        ]),
      ),
    },
    responses: {
      200: leadAnswer("The lead as it now is (unchanged when the patch changed nothing)."),
      ...problems([
        validation("status", "status must be one of new, contacted, qualified, unqualified, lost"),
        ...credential,
        documented({ kind: "financial_entity_suspended" }),
        documented({ kind: "lead_not_found" }),
        documented({ kind: "lead_not_assigned" }),
        documented({ kind: "lead_already_converted" }),
        documented({ kind: "lead_already_exists", existingLeadId: null }),
        documented({ kind: "precondition_failed" }),
        ["payload_too_large", `The request body must not exceed ${MAX_BODY_BYTES} bytes.`],
        refusedMediaType(LEAD_PATCH_MEDIA_TYPES.join(" or ")),
        ...failures,
      ]),
    },
  };
}

/** The headers the lead writes add to the document's components. */
export const leadWriteHeaders = () => ({
  ETag: {
    description:
      "The lead's strong validator: it changes with every change to the lead. Send it back in `If-Match` to change the lead only while it is current, or in `If-None-Match` to read it only when it changed.",
    required: true,
    schema: { type: "string", pattern: '^"v[0-9]+"$' },
  },
  Location: {
    description: "The lead's address.",
    required: true,
    schema: { type: "string", pattern: "^/leads/[0-9a-f-]{36}$" },
  },
});
