import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { ConversionStore } from "../../domain/conversion";
import { convertLeadToClient } from "../../domain/convert-lead-to-client";
import type { Announce } from "../announce";
import { bearerAuth, type RateLimiter, rateLimit, type TokenVerifier } from "../auth";
import { executionContextOf } from "../execution-context";
import { onExistingClientField, uuidField } from "../fields";
import { refusalError } from "../refusals";
import type { AppEnv } from "../types";
import { toUserBody } from "../user-body";
import { jsonBodyLimit, MAX_BODY_BYTES, requireJsonBody, validationHook } from "../validation";

export const TURN_LEAD_INTO_CLIENT_PATH = "/turn-lead-into-client";

/** The header that says the lead went into a client the entity already had. */
export const LEAD_LINKED_HEADER = "Lead-Linked";

/** The request body: two UUIDs and how to treat an existing client; other members are ignored. */
export const turnLeadIntoClientBody = z.object(
  {
    lead_id: uuidField("lead_id"),
    financial_entity_id: uuidField("financial_entity_id"),
    on_existing_client: onExistingClientField,
  },
  { error: "The body must be a JSON object" },
);

export interface TurnLeadIntoClientDeps {
  store: ConversionStore;
  verifyToken: TokenVerifier;
  /** Hands a new conversion's event to the runtime's webhook driver. */
  announce?: Announce;
  /** The conversions budget of each credential. */
  conversions: RateLimiter;
}

/**
 * `POST /turn-lead-into-client`. Checks run in the contract's order: body
 * size, credential, rate limit, content type and body, then scope and entity,
 * then the database. For an integration key, scope and entity come from the
 * database, in the conversion's own batch.
 */
export function turnLeadIntoClientRoute({ store, verifyToken, announce, conversions }: TurnLeadIntoClientDeps) {
  return new Hono<AppEnv>().post(
    TURN_LEAD_INTO_CLIENT_PATH,
    jsonBodyLimit(MAX_BODY_BYTES),
    bearerAuth({ verifyToken }),
    rateLimit(conversions),
    requireJsonBody(),
    zValidator("json", turnLeadIntoClientBody, validationHook),
    async (c) => {
      const body = c.req.valid("json");
      c.set("leadId", body.lead_id);
      const outcome = await convertLeadToClient({
        ctx: { actor: c.get("actor"), requestId: c.get("requestId"), store },
        input: {
          leadId: body.lead_id,
          financialEntityId: body.financial_entity_id,
          onExistingClient: body.on_existing_client,
        },
      });
      c.set("outcome", outcome.kind);
      switch (outcome.kind) {
        case "converted":
        case "replayed":
          if (outcome.kind === "converted" && outcome.eventId) announce?.(outcome.eventId, executionContextOf(c));
          return c.json(toUserBody(outcome.client), 200, {
            ...(outcome.kind === "replayed" ? { "Idempotent-Replayed": "true" } : {}),
            ...(outcome.linked ? { [LEAD_LINKED_HEADER]: "true" } : {}),
          });
        default:
          throw refusalError(outcome);
      }
    },
  );
}
