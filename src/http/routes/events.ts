import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { EVENT_TYPES } from "../../domain/events";
import { EVENTS_READ_SCOPE } from "../../domain/scopes";
import type { WebhookStore } from "../../webhooks/store";
import type { Announce } from "../announce";
import { bearerAuth, type RateLimiter, rateLimit, type TokenVerifier } from "../auth";
import { INVALID_BODY, INVALID_QUERY, MALFORMED_BODY, NO_SUCH_ENDPOINT, NO_SUCH_EVENT } from "../details";
import { executionContextOf } from "../execution-context";
import type { RouteContract } from "../openapi/contract";
import { EXAMPLE_ENDPOINT } from "../openapi/examples";
import { header, ref } from "../openapi/parts";
import { type DocumentedProblem, jsonBody, jsonResponse } from "../openapi/responses";
import { leadBodySchema, userBodySchema } from "../openapi/schemas";
import { ApiError } from "../problem";
import { endpointNotFound, eventNotFound } from "../refusals";
import type { AppEnv } from "../types";
import { jsonBodyLimit, MAX_BODY_BYTES, toValidationIssues } from "../validation";
import {
  accepted,
  credentialOf,
  idParameter,
  requireWebhooksScope,
  tooLargeProblem,
  webhooksProblems,
  webhooksSecurity,
} from "../webhook-scope";

export const EVENTS_PATH = "/events";

/** `GET /events` query: the last event id seen, and how many to list (1–100, default 50). */
export const eventsQuery = z.object({
  after: z.optional(z.string().check(z.maxLength(100, "after must be an event id"))),
  limit: z.optional(
    z
      .pipe(z.string().check(z.regex(/^\d{1,3}$/, "limit must be an integer between 1 and 100")), z.transform(Number))
      .check(z.refine((n) => n >= 1 && n <= 100, "limit must be an integer between 1 and 100")),
  ),
});

/** `POST /events/{id}/redeliver` body: one endpoint, or (empty body) every enabled one. */
export const redeliverBody = z.object(
  { endpoint_id: z.optional(z.string({ error: "endpoint_id must be a string" })) },
  { error: "The body must be a JSON object" },
);

function invalid(issues: Parameters<typeof toValidationIssues>[0], what: string): ApiError {
  return new ApiError("validation_error", `The ${what} is not valid.`, {
    extensions: { errors: toValidationIssues(issues) },
  });
}

export interface EventsDeps {
  store: WebhookStore;
  verifyToken: TokenVerifier;
  announce?: Announce;
  /** The everything-but-conversions budget of each credential. */
  requests: RateLimiter;
}

/**
 * `/events`: the entity's event log, oldest first, to reconcile from after
 * downtime; each event's delivery attempts; and redelivery (same `webhook-id`).
 */
export function eventsRoutes({ store, verifyToken, announce, requests }: EventsDeps) {
  const auth = [bearerAuth({ verifyToken }), rateLimit(requests), requireWebhooksScope()] as const;
  // The log and its attempts carry every converted client's data: they need `events:read`, not `webhooks:manage`.
  const readAuth = [bearerAuth({ verifyToken }), rateLimit(requests), requireWebhooksScope(EVENTS_READ_SCOPE)] as const;
  return new Hono<AppEnv>()
    .get(
      EVENTS_PATH,
      ...readAuth,
      zValidator("query", eventsQuery, (result) => {
        if (!result.success) throw invalid(result.error.issues, "query");
      }),
      async (c) => {
        const { after, limit = 50 } = c.req.valid("query");
        const who = credentialOf(c);
        const page = accepted(who, await store.eventsAfter(who, after, limit), EVENTS_READ_SCOPE);
        if (page === null) {
          throw new ApiError("validation_error", INVALID_QUERY, {
            extensions: { errors: [{ path: "after", message: "after must be the id of one of your events" }] },
          });
        }
        const data = page.events.map((event) => ({ id: event.id, ...(JSON.parse(event.payload) as object) }));
        return c.json({ data, next_after: page.more ? (data.at(-1)?.id ?? null) : null }, 200);
      },
    )
    .get(`${EVENTS_PATH}/:id/deliveries`, ...readAuth, async (c) => {
      const who = credentialOf(c);
      const attempts = accepted(who, await store.attemptsFor(who, c.req.param("id")), EVENTS_READ_SCOPE);
      if (attempts === null) throw eventNotFound();
      return c.json(
        {
          data: attempts.map((a) => ({
            endpoint_id: a.endpointId,
            attempt: a.attempt,
            status_code: a.statusCode,
            error: a.error,
            outcome: a.outcome,
            at: a.at,
          })),
        },
        200,
      );
    })
    .post(`${EVENTS_PATH}/:id/redeliver`, jsonBodyLimit(MAX_BODY_BYTES), ...auth, async (c) => {
      const text = await c.req.text();
      let raw: unknown = {};
      if (text.trim() !== "") {
        try {
          raw = JSON.parse(text);
        } catch {
          throw new ApiError("validation_error", MALFORMED_BODY, {
            extensions: { errors: [{ path: "", message: "Malformed JSON" }] },
          });
        }
      }
      const parsed = redeliverBody.safeParse(raw);
      if (!parsed.success) throw invalid(parsed.error.issues, "request body");
      const eventId = c.req.param("id");
      const now = Date.now();
      const who = credentialOf(c, () => new Date(now));
      const outcome = accepted(
        who,
        await store.redeliver(who, eventId, parsed.data.endpoint_id, now, new Date(now).toISOString()),
      );
      if (!outcome.eventFound) throw eventNotFound();
      if (!outcome.endpointFound) throw endpointNotFound();
      if (outcome.deliveries > 0) announce?.(eventId, executionContextOf(c));
      return c.body(null, 202);
    });
}

/** The shapes of the answers; each component stands alone in the document (no $ref between them). */
function eventSchemas() {
  const nullableText = z.nullable(z.string());
  const convertedEvent = () =>
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
        user: z.strictObject({ ...userBodySchema().def.shape }),
        /** Present when the lead went into a client the entity already had (`on_existing_client: "link"`). */
        linked: z.optional(z.literal(true)),
      }),
    });
  /** `lead.created`, `lead.updated`, `lead.assigned`, `lead.unassigned`: the lead as `GET /leads/{lead_id}` shows it after the change. */
  const leadEvent = () =>
    z.strictObject({
      id: z.string(),
      type: z.enum(EVENT_TYPES.filter((type) => type !== "lead.converted") as [string, ...string[]]),
      timestamp: z.string(),
      data: z.strictObject({
        lead: z.strictObject({ ...leadBodySchema().def.shape }),
        financial_entity_id: z.string(),
        request_id: z.string(),
        /** `lead.updated` only: the fields the change gave new values. */
        changed: z.optional(z.array(z.string())),
      }),
    });
  const event = () => z.union([convertedEvent(), leadEvent()]);
  return {
    event: event(),
    list: z.strictObject({ data: z.array(event()), next_after: nullableText }),
    attempts: z.strictObject({
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
    }),
  };
}

/** `/events`, as /openapi.json documents it. */
export function eventsContract(): RouteContract {
  const security = webhooksSecurity();
  // The log and its attempts carry every converted client's data: their own scope.
  const readSecurity = webhooksSecurity(EVENTS_READ_SCOPE);
  const eventId = idParameter("id", "The event's id (the `webhook-id` of its deliveries).");
  const ok = (description: string, schema: string) =>
    jsonResponse(description, ref(schema), { headers: { "X-Request-Id": header("XRequestId") } });
  const eventMissing: DocumentedProblem = ["event_not_found", NO_SUCH_EVENT];
  const endpointMissing: DocumentedProblem = ["webhook_endpoint_not_found", NO_SUCH_ENDPOINT];
  const query = z.toJSONSchema(eventsQuery, { io: "input" }) as { properties: Record<string, object> };
  const schemas = eventSchemas();
  return {
    tag: "Events",
    schemas: {
      RedeliverRequest: {
        schema: redeliverBody,
        description: "One endpoint of yours; without it (or with an empty body), every enabled endpoint.",
      },
      Event: {
        schema: schemas.event,
        description: "The event as delivered (the webhook body), with its id (the `webhook-id` header).",
      },
      EventList: {
        schema: schemas.list,
        description: "Oldest first; pass `next_after` as `after` for the next page (null when there is none).",
      },
      DeliveryAttemptList: {
        schema: schemas.attempts,
        description:
          "Every attempt, oldest first. `outcome` is `retrying` when another attempt is scheduled and `failed` when the delivery gave up.",
      },
    },
    paths: {
      [EVENTS_PATH]: {
        get: {
          operationId: "listEvents",
          summary: "The entity's events, oldest first (reconcile after downtime)",
          security: readSecurity,
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
            ...webhooksProblems([["validation_error", INVALID_QUERY]], EVENTS_READ_SCOPE),
          },
        },
      },
      [`${EVENTS_PATH}/{id}/deliveries`]: {
        parameters: [eventId],
        get: {
          operationId: "listEventDeliveries",
          summary: "Every delivery attempt of an event",
          security: readSecurity,
          responses: {
            200: ok("The attempts, oldest first.", "DeliveryAttemptList"),
            ...webhooksProblems([eventMissing], EVENTS_READ_SCOPE),
          },
        },
      },
      [`${EVENTS_PATH}/{id}/redeliver`]: {
        parameters: [eventId],
        post: {
          operationId: "redeliverEvent",
          summary: "Send an event again (same webhook-id), to one endpoint or every enabled one",
          security,
          requestBody: jsonBody("RedeliverRequest", { endpoint_id: EXAMPLE_ENDPOINT }, false),
          responses: {
            202: { description: "Queued.", headers: { "X-Request-Id": header("XRequestId") } },
            ...webhooksProblems([["validation_error", INVALID_BODY], eventMissing, endpointMissing, tooLargeProblem]),
          },
        },
      },
    },
  };
}
