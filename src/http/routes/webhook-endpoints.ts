import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { DEFAULT_EVENT_TYPES, EVENT_TYPES, MAX_ENDPOINTS_PER_ENTITY } from "../../domain/events";
import { destinationProblem } from "../../webhooks/destination";
import type { SecretBox } from "../../webhooks/secrets";
import { generateSecret } from "../../webhooks/sign";
import type { EndpointRow, WebhookStore } from "../../webhooks/store";
import { bearerAuth, type RateLimiter, rateLimit, type TokenVerifier } from "../auth";
import { NO_SUCH_ENDPOINT, NO_SUCH_ENTITY } from "../details";
import type { RouteContract } from "../openapi/contract";
import { header, ref } from "../openapi/parts";
import { type DocumentedProblem, jsonBody, jsonResponse } from "../openapi/responses";
import { ApiError } from "../problem";
import { endpointNotFound } from "../refusals";
import type { AppEnv } from "../types";
import { jsonBodyLimit, MAX_BODY_BYTES, requireJsonBody, validationHook } from "../validation";
import {
  accepted,
  credentialOf,
  idParameter,
  requireWebhooksScope,
  tooLargeProblem,
  webhooksBodyProblems,
  webhooksProblems,
  webhooksSecurity,
} from "../webhook-scope";

export const WEBHOOK_ENDPOINTS_PATH = "/webhook-endpoints";
/** After a rotation the old secret keeps signing this long, so receivers can switch without losing events. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

const destination = (allowInsecure: boolean) =>
  z.string({ error: "url must be a string" }).check(
    z.maxLength(2048, "url must be at most 2048 characters"),
    z.superRefine((url, ctx) => {
      const problem = destinationProblem(url, { allowInsecure });
      if (problem !== null) ctx.issues.push({ code: "custom", message: problem, input: url });
    }),
  );
const description = z.nullable(
  z
    .string({ error: "description must be a string" })
    .check(z.maxLength(500, "description must be at most 500 characters")),
);
const eventTypes = z
  .array(z.enum(EVENT_TYPES, { error: `event_types may only list ${EVENT_TYPES.join(", ")}` }))
  .check(z.minLength(1, "event_types must list at least one event type"));

/** `POST /webhook-endpoints`: where to send, and which events (`lead.converted` by default). */
export const createEndpointBody = (allowInsecure: boolean) =>
  z.object(
    { url: destination(allowInsecure), description: z.optional(description), event_types: z.optional(eventTypes) },
    { error: "The body must be a JSON object" },
  );

/** `PATCH /webhook-endpoints/{id}`: any of the fields; `status` enables or disables it. */
export const updateEndpointBody = (allowInsecure: boolean) =>
  z.object(
    {
      url: z.optional(destination(allowInsecure)),
      description: z.optional(description),
      event_types: z.optional(eventTypes),
      status: z.optional(z.enum(["enabled", "disabled"], { error: "status must be enabled or disabled" })),
    },
    { error: "The body must be a JSON object" },
  );

/** An endpoint as the API shows it: never its secret. */
export const toEndpointBody = (row: EndpointRow) => ({
  id: row.id,
  url: row.url,
  description: row.description,
  event_types: row.eventTypes,
  status: row.status,
  disabled_reason: row.disabledReason,
  created_at: row.createdAt,
});

export interface WebhookEndpointsDeps {
  store: WebhookStore;
  secrets: SecretBox;
  verifyToken: TokenVerifier;
  /** The everything-but-conversions budget of each credential. */
  requests: RateLimiter;
  allowInsecureUrls: boolean;
}

/**
 * `/webhook-endpoints`: register, list, read, change, delete, and rotate the
 * secret of the destinations an entity's events are sent to. The entity is
 * the one the token acts for, or the integration key's own (read, with the
 * key's state, by each request's single batch); another entity's endpoints
 * do not exist here.
 */
export function webhookEndpointsRoutes({
  store,
  secrets,
  verifyToken,
  allowInsecureUrls,
  requests,
}: WebhookEndpointsDeps) {
  const limit = jsonBodyLimit(MAX_BODY_BYTES);
  const auth = [bearerAuth({ verifyToken }), rateLimit(requests), requireWebhooksScope()] as const;

  return new Hono<AppEnv>()
    .post(
      WEBHOOK_ENDPOINTS_PATH,
      limit,
      ...auth,
      requireJsonBody(),
      zValidator("json", createEndpointBody(allowInsecureUrls), validationHook),
      async (c) => {
        const body = c.req.valid("json");
        const id = crypto.randomUUID();
        const secret = generateSecret();
        const who = credentialOf(c);
        const created = accepted(
          who,
          await store.createEndpoint(who, {
            id,
            url: body.url,
            description: body.description ?? null,
            eventTypes: [...new Set(body.event_types ?? DEFAULT_EVENT_TYPES)],
            storedSecret: await secrets.seal(secret, id),
            at: new Date().toISOString(),
          }),
        );
        if (created.kind === "no_entity") throw new ApiError("financial_entity_not_found", NO_SUCH_ENTITY);
        if (created.kind === "limit_reached") {
          throw new ApiError(
            "limit_reached",
            `The financial entity already has ${MAX_ENDPOINTS_PER_ENTITY} webhook endpoints; delete one first.`,
          );
        }
        const { disabled_reason: _, ...shown } = toEndpointBody(created.endpoint);
        return c.json({ ...shown, secret }, 201);
      },
    )
    .get(WEBHOOK_ENDPOINTS_PATH, ...auth, async (c) => {
      const who = credentialOf(c);
      const rows = accepted(who, await store.listEndpoints(who));
      return c.json({ data: rows.map(toEndpointBody) }, 200);
    })
    .get(`${WEBHOOK_ENDPOINTS_PATH}/:id`, ...auth, async (c) => {
      const who = credentialOf(c);
      const row = accepted(who, await store.getEndpoint(who, c.req.param("id")));
      if (row === null) throw endpointNotFound();
      return c.json(toEndpointBody(row), 200);
    })
    .patch(
      `${WEBHOOK_ENDPOINTS_PATH}/:id`,
      limit,
      ...auth,
      requireJsonBody(),
      zValidator("json", updateEndpointBody(allowInsecureUrls), validationHook),
      async (c) => {
        const body = c.req.valid("json");
        const who = credentialOf(c);
        const row = accepted(
          who,
          await store.updateEndpoint(who, c.req.param("id"), {
            url: body.url,
            description: body.description,
            eventTypes: body.event_types ? [...new Set(body.event_types)] : undefined,
            status: body.status,
          }),
        );
        if (row === null) throw endpointNotFound();
        return c.json(toEndpointBody(row), 200);
      },
    )
    .delete(`${WEBHOOK_ENDPOINTS_PATH}/:id`, ...auth, async (c) => {
      const who = credentialOf(c);
      if (!accepted(who, await store.deleteEndpoint(who, c.req.param("id"), new Date().toISOString())))
        throw endpointNotFound();
      return c.body(null, 204);
    })
    .post(`${WEBHOOK_ENDPOINTS_PATH}/:id/rotate-secret`, limit, ...auth, async (c) => {
      const id = c.req.param("id");
      const secret = generateSecret();
      const who = credentialOf(c);
      const rotated = accepted(
        who,
        await store.rotateSecret(who, id, await secrets.seal(secret, id), Date.now() + ROTATION_OVERLAP_MS),
      );
      if (!rotated) throw endpointNotFound();
      return c.json({ secret }, 200);
    });
}

/** The shapes of the answers; each component stands alone in the document (no $ref between them). */
function endpointSchemas() {
  const nullableText = z.nullable(z.string());
  const fields = () => ({
    id: z.string(),
    url: z.string(),
    description: nullableText,
    event_types: z.array(z.enum(EVENT_TYPES)),
    status: z.enum(["enabled", "disabled"]),
  });
  const endpoint = () => z.strictObject({ ...fields(), disabled_reason: nullableText, created_at: z.string() });
  return {
    endpoint: endpoint(),
    created: z.strictObject({ ...fields(), created_at: z.string(), secret: z.string() }),
    list: z.strictObject({ data: z.array(endpoint()) }),
    secret: z.strictObject({ secret: z.string() }),
  };
}

/** `/webhook-endpoints`, as /openapi.json documents it. */
export function webhookEndpointsContract(): RouteContract {
  const security = webhooksSecurity();
  const endpointId = idParameter("id", "The endpoint's id.");
  const ok = (description: string, schema: string) =>
    jsonResponse(description, ref(schema), { headers: { "X-Request-Id": header("XRequestId") } });
  const missing: DocumentedProblem = ["webhook_endpoint_not_found", NO_SUCH_ENDPOINT];
  const schemas = endpointSchemas();
  return {
    tag: "Webhooks",
    schemas: {
      CreateWebhookEndpointRequest: {
        schema: createEndpointBody(false),
        description:
          "`url` must be https, with no user-info, and not point to localhost or a private, loopback, link-local, unique-local, CGNAT or unspecified address.",
      },
      UpdateWebhookEndpointRequest: {
        schema: updateEndpointBody(false),
        description: "Any of the fields. Re-enabling an endpoint resumes its pending deliveries.",
      },
      WebhookEndpoint: {
        schema: schemas.endpoint,
        description:
          "A destination for the entity's events. Its secret is never shown again after creation or rotation.",
      },
      WebhookEndpointCreated: {
        schema: schemas.created,
        description: "The new endpoint and its signing secret (`whsec_` + base64 of 32 bytes), shown only here.",
      },
      WebhookEndpointList: { schema: schemas.list },
      WebhookSecret: {
        schema: schemas.secret,
        description: "The new signing secret; for 24 h deliveries carry signatures with both the old and the new one.",
      },
    },
    paths: {
      [WEBHOOK_ENDPOINTS_PATH]: {
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
            ...webhooksBodyProblems([
              ["financial_entity_not_found", NO_SUCH_ENTITY],
              [
                "limit_reached",
                `The financial entity already has ${MAX_ENDPOINTS_PER_ENTITY} webhook endpoints (the most it may have); delete one first.`,
              ],
            ]),
          },
        },
        get: {
          operationId: "listWebhookEndpoints",
          summary: "List the entity's webhook endpoints",
          security,
          responses: { 200: ok("The endpoints, without secrets.", "WebhookEndpointList"), ...webhooksProblems() },
        },
      },
      [`${WEBHOOK_ENDPOINTS_PATH}/{id}`]: {
        parameters: [endpointId],
        get: {
          operationId: "getWebhookEndpoint",
          summary: "Read one endpoint",
          security,
          responses: { 200: ok("The endpoint.", "WebhookEndpoint"), ...webhooksProblems([missing]) },
        },
        patch: {
          operationId: "updateWebhookEndpoint",
          summary: "Change an endpoint; enable or disable it",
          security,
          requestBody: jsonBody("UpdateWebhookEndpointRequest", { status: "enabled" }),
          responses: { 200: ok("The endpoint.", "WebhookEndpoint"), ...webhooksBodyProblems([missing]) },
        },
        delete: {
          operationId: "deleteWebhookEndpoint",
          summary: "Delete an endpoint; nothing more is delivered to it",
          security,
          responses: {
            204: { description: "Deleted.", headers: { "X-Request-Id": header("XRequestId") } },
            ...webhooksProblems([missing]),
          },
        },
      },
      [`${WEBHOOK_ENDPOINTS_PATH}/{id}/rotate-secret`]: {
        parameters: [endpointId],
        post: {
          operationId: "rotateWebhookSecret",
          summary: "Replace the endpoint's secret; the old one keeps signing for 24 h",
          security,
          responses: {
            200: ok("The new secret, shown only here.", "WebhookSecret"),
            ...webhooksProblems([missing, tooLargeProblem]),
          },
        },
      },
    },
  };
}
