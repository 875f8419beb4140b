import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { WebhookStore } from "../../webhooks/store";
import type { Announce } from "../announce";
import { bearerAuth, type RateLimiter, rateLimit, type TokenVerifier } from "../auth";
import { executionContextOf } from "../execution-context";
import { ApiError } from "../problem";
import { endpointNotFound, eventNotFound } from "../refusals";
import type { AppEnv } from "../types";
import { jsonBodyLimit, MAX_BODY_BYTES, toValidationIssues } from "../validation";
import { accepted, credentialOf, requireWebhooksScope } from "../webhook-scope";

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
  return new Hono<AppEnv>()
    .get(
      EVENTS_PATH,
      ...auth,
      zValidator("query", eventsQuery, (result) => {
        if (!result.success) throw invalid(result.error.issues, "query");
      }),
      async (c) => {
        const { after, limit = 50 } = c.req.valid("query");
        const who = credentialOf(c);
        const page = accepted(who, await store.eventsAfter(who, after, limit));
        if (page === null) {
          throw new ApiError("validation_error", "The query is not valid.", {
            extensions: { errors: [{ path: "after", message: "after must be the id of one of your events" }] },
          });
        }
        const data = page.events.map((event) => ({ id: event.id, ...(JSON.parse(event.payload) as object) }));
        return c.json({ data, next_after: page.more ? (data.at(-1)?.id ?? null) : null }, 200);
      },
    )
    .get(`${EVENTS_PATH}/:id/deliveries`, ...auth, async (c) => {
      const who = credentialOf(c);
      const attempts = accepted(who, await store.attemptsFor(who, c.req.param("id")));
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
          throw new ApiError("validation_error", "The request body is not valid JSON.", {
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
