import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { ConversionOutcome } from "../../domain/conversion";
import { type BulkConversionStore, convertLeadsToClients, MAX_BULK_LEADS } from "../../domain/convert-leads-to-clients";
import type { Announce } from "../announce";
import { bearerAuth, type RateLimiter, rateLimit, spendBudget, type TokenVerifier } from "../auth";
import { executionContextOf } from "../execution-context";
import { onExistingClientField, uuidField } from "../fields";
import { problemBody } from "../problem";
import { refusalError } from "../refusals";
import type { AppEnv } from "../types";
import { toUserBody } from "../user-body";
import { jsonBodyLimit, MAX_BODY_BYTES, requireJsonBody, validationHook } from "../validation";

export const TURN_LEADS_INTO_CLIENTS_PATH = "/turn-leads-into-clients";

/** The request body: the entity and 1–100 distinct lead ids (compared lower-cased); other members are ignored. */
export const turnLeadsIntoClientsBody = z.object(
  {
    financial_entity_id: uuidField("financial_entity_id"),
    lead_ids: z
      .array(uuidField("lead_ids[]"), {
        error: (issue) => (issue.input === undefined ? "lead_ids is required" : "lead_ids must be an array"),
      })
      .check(
        z.minLength(1, { error: "lead_ids must hold at least one id" }),
        z.maxLength(MAX_BULK_LEADS, { error: `lead_ids must hold at most ${MAX_BULK_LEADS} ids` }),
        z.refine((ids: string[]) => new Set(ids).size === ids.length, {
          error: "lead_ids must not repeat an id (ids are compared in lowercase)",
        }),
      ),
    on_existing_client: onExistingClientField,
  },
  { error: "The body must be a JSON object" },
);

/** One item of the answer: the outcome of one lead, decided as the single endpoint decides it. */
export function toBulkItem(leadId: string, outcome: ConversionOutcome) {
  switch (outcome.kind) {
    case "converted":
    case "replayed":
      return {
        lead_id: leadId,
        status: 200 as const,
        replayed: outcome.kind === "replayed",
        linked: outcome.linked,
        user: toUserBody(outcome.client),
      };
    default: {
      const error = refusalError(outcome);
      // The single endpoint's problem body; the request id is the call's, in its X-Request-Id.
      const { request_id: _, ...problem } = problemBody(error, "");
      return { lead_id: leadId, status: error.status, problem };
    }
  }
}

export interface TurnLeadsIntoClientsDeps {
  store: BulkConversionStore;
  verifyToken: TokenVerifier;
  /** Starts delivering an event the call wrote, as the single endpoint does. */
  announce?: Announce;
  /** The conversions budget of each credential. */
  conversions: RateLimiter;
}

/**
 * `POST /turn-leads-into-clients`: up to 100 leads in one call and one
 * database request. Checks run in the single endpoint's order; problems of the
 * whole request answer as it does, else 200 with one result per lead, in the
 * request's order.
 */
export function turnLeadsIntoClientsRoute({ store, verifyToken, announce, conversions }: TurnLeadsIntoClientsDeps) {
  return new Hono<AppEnv>().post(
    TURN_LEADS_INTO_CLIENTS_PATH,
    jsonBodyLimit(MAX_BODY_BYTES),
    bearerAuth({ verifyToken }),
    rateLimit(conversions),
    requireJsonBody(),
    zValidator("json", turnLeadsIntoClientsBody, validationHook),
    async (c) => {
      const body = c.req.valid("json");
      // Each lead counts one against the conversions budget; the middleware spent the first.
      if (body.lead_ids.length > 1)
        await spendBudget(conversions, c.get("actor"), body.lead_ids.length - 1, c.get("credentialLimits"));
      const outcome = await convertLeadsToClients({
        ctx: { actor: c.get("actor"), requestId: c.get("requestId"), store },
        input: {
          financialEntityId: body.financial_entity_id,
          leadIds: body.lead_ids,
          onExistingClient: body.on_existing_client,
        },
      });
      if (outcome.kind !== "decided") throw refusalError(outcome);
      c.set("outcome", "decided");
      for (const { outcome: item } of outcome.items) {
        if (item.kind === "converted" && item.eventId) announce?.(item.eventId, executionContextOf(c));
      }
      return c.json({ results: outcome.items.map(({ leadId, outcome }) => toBulkItem(leadId, outcome)) }, 200);
    },
  );
}
