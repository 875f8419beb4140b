import * as z from "zod/mini";
import { EVENT_TYPES } from "../../domain/events";
import { WEBHOOKS_SCOPE } from "../../domain/scopes";
import { DEFAULT_RATE_LIMITS } from "../auth";
import { PROBLEMS, type ProblemCode } from "../problem";
import { eventsQuery, redeliverBody } from "../routes/events";
import { createEndpointBody, updateEndpointBody } from "../routes/webhook-endpoints";
import { MAX_BODY_BYTES } from "../validation";
import { describeCodes, header, problem, problemContent, ref } from "./parts";
import { leadBodySchema, userBodySchema } from "./schemas";

// The events part of the OpenAPI document: /webhook-endpoints and /events, from
// the validators' own schemas (requests) and these shapes (responses).

const EXAMPLE_ENDPOINT = "7d2f5a10-3c4b-4e8a-9b1c-2d3e4f5a6b70";

const nullableText = z.nullable(z.string());
const endpointFields = {
  id: z.string(),
  url: z.string(),
  description: nullableText,
  event_types: z.array(z.enum(EVENT_TYPES)),
  status: z.enum(["enabled", "disabled"]),
};

const endpointShape = () =>
  z.strictObject({ ...endpointFields, disabled_reason: nullableText, created_at: z.string() });
export const webhookEndpointSchema = endpointShape();
export const webhookEndpointCreatedSchema = z.strictObject({
  ...endpointFields,
  created_at: z.string(),
  secret: z.string(),
});
// Fresh copies: each component stands alone in the document (no $ref between components).
export const webhookEndpointListSchema = z.strictObject({ data: z.array(endpointShape()) });
export const secretSchema = z.strictObject({ secret: z.string() });
const LEAD_EVENT_TYPES = EVENT_TYPES.filter((type) => type !== "lead.converted") as [string, ...string[]];
const convertedEventShape = () =>
  z.strictObject({
    id: z.string(),
    type: z.literal("lead.converted"),
    timestamp: z.string(),
    data: z.strictObject({
      lead_id: z.string(),
      financial_entity_id: z.string(),
      ecosystem: z.string(),
      request_id: z.string(),
      converted_at: z.string(),
      user: z.strictObject({ ...userBodySchema.def.shape }),
      /** Present when the lead went into a client the entity already had (`on_existing_client: "link"`). */
      linked: z.optional(z.literal(true)),
    }),
  });
/** `lead.created`, `lead.updated`, `lead.assigned`, `lead.unassigned`: the lead as `GET /leads/{lead_id}` shows it after the change. */
const leadEventShape = () =>
  z.strictObject({
    id: z.string(),
    type: z.enum(LEAD_EVENT_TYPES),
    timestamp: z.string(),
    data: z.strictObject({
      lead: z.strictObject({ ...leadBodySchema.def.shape }),
      /** The entity whose request made the change. */
      financial_entity_id: z.string(),
      request_id: z.string(),
      /** `lead.updated` only: the fields the change gave new values. */
      changed: z.optional(z.array(z.string())),
    }),
  });
const eventShape = () => z.union([convertedEventShape(), leadEventShape()]);
export const eventSchema = eventShape();
export const eventListSchema = z.strictObject({ data: z.array(eventShape()), next_after: nullableText });
export const deliveryAttemptListSchema = z.strictObject({
  data: z.array(
    z.strictObject({
      endpoint_id: z.string(),
      attempt: z.int(),
      status_code: z.nullable(z.int()),
      error: nullableText,
      outcome: z.enum(["succeeded", "retrying", "failed"]),
      at: z.string(),
    }),
  ),
});

/** Adds the events schemas to the document's registry. */
export function registerEventSchemas(registry: z.core.$ZodRegistry<{ id: string; description?: string }>) {
  registry.add(createEndpointBody(false), {
    id: "CreateWebhookEndpointRequest",
    description:
      "`url` must be https, with no user-info, and not point to localhost or a private, loopback, link-local, unique-local, CGNAT or unspecified address.",
  });
  registry.add(updateEndpointBody(false), {
    id: "UpdateWebhookEndpointRequest",
    description: "Any of the fields. Re-enabling an endpoint resumes its pending deliveries.",
  });
  registry.add(redeliverBody, {
    id: "RedeliverRequest",
    description: "One endpoint of yours; without it (or with an empty body), every enabled endpoint.",
  });
  registry.add(webhookEndpointSchema, {
    id: "WebhookEndpoint",
    description: "A destination for the entity's events. Its secret is never shown again after creation or rotation.",
  });
  registry.add(webhookEndpointCreatedSchema, {
    id: "WebhookEndpointCreated",
    description: "The new endpoint and its signing secret (`whsec_` + base64 of 32 bytes), shown only here.",
  });
  registry.add(webhookEndpointListSchema, { id: "WebhookEndpointList" });
  registry.add(secretSchema, {
    id: "WebhookSecret",
    description: "The new signing secret; for 24 h deliveries carry signatures with both the old and the new one.",
  });
  registry.add(eventSchema, {
    id: "Event",
    description: "The event as delivered (the webhook body), with its id (the `webhook-id` header).",
  });
  registry.add(eventListSchema, {
    id: "EventList",
    description: "Oldest first; pass `next_after` as `after` for the next page (null when there is none).",
  });
  registry.add(deliveryAttemptListSchema, {
    id: "DeliveryAttemptList",
    description:
      "Every attempt, oldest first. `outcome` is `retrying` when another attempt is scheduled and `failed` when the delivery gave up.",
  });
}

const ok = (description: string, schema: string) => ({
  description,
  headers: { "X-Request-Id": header("XRequestId") },
  content: { "application/json": { schema: ref(schema) } },
});

/** A problem an operation may answer: its code and the detail of its example. */
export type Documented = [code: ProblemCode, detail: string];

/** The error responses of an operation: one per status (as PROBLEMS maps each code), listing its codes in the order given. */
export function problems(codes: Documented[]) {
  const byStatus = new Map<number, Documented[]>();
  for (const documented of codes) {
    const { status } = PROBLEMS[documented[0]];
    byStatus.set(status, [...(byStatus.get(status) ?? []), documented]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      {
        description: describeCodes(list.map(([code]) => code)),
        headers: { "X-Request-Id": header("XRequestId") },
        content: problemContent(list.map(([code, detail]) => problem(code, detail))),
      },
    ]),
  );
}

const tooLarge: Documented = ["payload_too_large", `The request body must not exceed ${MAX_BODY_BYTES} bytes.`];
const common = (extra: Documented[] = []) => ({
  ...problems([
    ["unauthorized", "A bearer token is required in the Authorization header."],
    ["insufficient_scope", `The token's scope does not include "${WEBHOOKS_SCOPE}".`],
    ...extra,
    ["rate_limited", `This credential is over its budget of ${DEFAULT_RATE_LIMITS.requests} requests per minute.`],
    ["internal_error", "An unexpected error occurred."],
    ["service_unavailable", "The database is unavailable right now; retrying is safe."],
  ]),
});
const withBody = (extra: Documented[] = []) =>
  common([
    ["validation_error", "The request body is not valid."],
    ...extra,
    tooLarge,
    ["unsupported_media_type", "The request body must be application/json."],
  ]);
const endpointMissing: Documented = [
  "webhook_endpoint_not_found",
  "No webhook endpoint with this id exists for the financial entity.",
];
const eventMissing: Documented = ["event_not_found", "No event with this id exists for the financial entity."];
const security = [{ bearerAuth: [WEBHOOKS_SCOPE] }];
const idParam = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string" },
});
const jsonBody = (schema: string, example: object, required = true) => ({
  required,
  content: { "application/json": { schema: ref(schema), example } },
});

/** The paths of the events API. */
export function eventPaths() {
  const endpointId = idParam("id", "The endpoint's id.");
  const eventId = idParam("id", "The event's id (the `webhook-id` of its deliveries).");
  const query = z.toJSONSchema(eventsQuery, { io: "input" }) as { properties: Record<string, object> };
  return {
    "/webhook-endpoints": {
      post: {
        operationId: "createWebhookEndpoint",
        summary: "Register a webhook endpoint for the entity's events",
        description:
          "Deliveries are signed with Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`). The secret is in this answer only.",
        security,
        requestBody: jsonBody("CreateWebhookEndpointRequest", {
          url: "https://crm.example.com/hooks/leads",
          description: "CRM",
          event_types: ["lead.converted"],
        }),
        responses: {
          201: ok("The endpoint, with its secret.", "WebhookEndpointCreated"),
          ...withBody([["financial_entity_not_found", "No financial entity exists with this id."]]),
        },
      },
      get: {
        operationId: "listWebhookEndpoints",
        summary: "List the entity's webhook endpoints",
        security,
        responses: { 200: ok("The endpoints, without secrets.", "WebhookEndpointList"), ...common() },
      },
    },
    "/webhook-endpoints/{id}": {
      parameters: [endpointId],
      get: {
        operationId: "getWebhookEndpoint",
        summary: "Read one endpoint",
        security,
        responses: { 200: ok("The endpoint.", "WebhookEndpoint"), ...common([endpointMissing]) },
      },
      patch: {
        operationId: "updateWebhookEndpoint",
        summary: "Change an endpoint; enable or disable it",
        security,
        requestBody: jsonBody("UpdateWebhookEndpointRequest", { status: "enabled" }),
        responses: { 200: ok("The endpoint.", "WebhookEndpoint"), ...withBody([endpointMissing]) },
      },
      delete: {
        operationId: "deleteWebhookEndpoint",
        summary: "Delete an endpoint; nothing more is delivered to it",
        security,
        responses: {
          204: { description: "Deleted.", headers: { "X-Request-Id": header("XRequestId") } },
          ...common([endpointMissing]),
        },
      },
    },
    "/webhook-endpoints/{id}/rotate-secret": {
      parameters: [endpointId],
      post: {
        operationId: "rotateWebhookSecret",
        summary: "Replace the endpoint's secret; the old one keeps signing for 24 h",
        security,
        responses: {
          200: ok("The new secret, shown only here.", "WebhookSecret"),
          ...common([endpointMissing, tooLarge]),
        },
      },
    },
    "/events": {
      get: {
        operationId: "listEvents",
        summary: "The entity's events, oldest first (reconcile after downtime)",
        security,
        parameters: [
          {
            name: "after",
            in: "query",
            required: false,
            description: "The last event id you have; omit to start at the oldest.",
            schema: query.properties.after,
          },
          {
            name: "limit",
            in: "query",
            required: false,
            description: "1–100, default 50.",
            schema: { type: "integer", minimum: 1, maximum: 100, default: 50 },
          },
        ],
        responses: {
          200: ok("A page of events.", "EventList"),
          ...common([["validation_error", "The query is not valid."]]),
        },
      },
    },
    "/events/{id}/deliveries": {
      parameters: [eventId],
      get: {
        operationId: "listEventDeliveries",
        summary: "Every delivery attempt of an event",
        security,
        responses: { 200: ok("The attempts, oldest first.", "DeliveryAttemptList"), ...common([eventMissing]) },
      },
    },
    "/events/{id}/redeliver": {
      parameters: [eventId],
      post: {
        operationId: "redeliverEvent",
        summary: "Send an event again (same webhook-id), to one endpoint or every enabled one",
        security,
        requestBody: jsonBody("RedeliverRequest", { endpoint_id: EXAMPLE_ENDPOINT }, false),
        responses: {
          202: { description: "Queued.", headers: { "X-Request-Id": header("XRequestId") } },
          ...common([["validation_error", "The request body is not valid."], eventMissing, endpointMissing, tooLarge]),
        },
      },
    },
  };
}
