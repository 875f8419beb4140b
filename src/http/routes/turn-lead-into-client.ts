import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { ConversionStore } from "../../domain/conversion";
import { convertLeadToClient } from "../../domain/convert-lead-to-client";
import { CONVERT_SCOPE } from "../../domain/scopes";
import type { Announce } from "../announce";
import { bearerAuth, type RateLimiter, rateLimit, type TokenVerifier } from "../auth";
import { toUserBody } from "../bodies";
import { executionContextOf } from "../execution-context";
import { onExistingClientField, uuidField } from "../fields";
import type { RouteContract } from "../openapi/contract";
import { EXAMPLE_ENTITY, EXAMPLE_LEAD, EXAMPLE_USER } from "../openapi/examples";
import { describeCodes, header, ref } from "../openapi/parts";
import {
  commonHeaders,
  conversionForbiddenResponse,
  internalErrorResponse,
  jsonBody,
  methodNotAllowedResponse,
  payloadTooLargeResponse,
  problemResponse,
  rateLimitedResponse,
  refusalExample,
  unauthorizedResponse,
  unavailableResponse,
  unsupportedMediaTypeResponse,
  validationErrorResponse,
} from "../openapi/responses";
import { refusalError } from "../refusals";
import type { AppEnv } from "../types";
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

/** `POST /turn-lead-into-client`, as /openapi.json documents it. */
export const turnLeadIntoClientContract = (): RouteContract => ({
  tag: "Conversions",
  schemas: {
    TurnLeadIntoClientRequest: {
      schema: turnLeadIntoClientBody,
      description:
        "Both ids are UUIDs in any letter case; `on_existing_client` (default `reject`) says what to do when the entity already has a client with the lead's NIT: refuse with 409, or `link` the lead into it. Other members are ignored.",
    },
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
        requestBody: jsonBody("TurnLeadIntoClientRequest", {
          lead_id: EXAMPLE_LEAD,
          financial_entity_id: EXAMPLE_ENTITY,
        }),
        responses: {
          200: {
            description:
              'The lead became a client of the entity — now, or in an earlier request (a replay); with `on_existing_client: "link"`, possibly the client the entity already had (`Lead-Linked: true`).',
            headers: {
              ...commonHeaders(),
              "Idempotent-Replayed": header("IdempotentReplayed"),
              [LEAD_LINKED_HEADER]: header("LeadLinked"),
            },
            content: { "application/json": { schema: ref("User"), example: EXAMPLE_USER } },
          },
          400: validationErrorResponse(
            "Malformed JSON, a missing field, or an id that is not a UUID; `errors` names each field.",
            "lead_id",
            "lead_id must be a UUID",
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
          429: rateLimitedResponse("conversions"),
          500: internalErrorResponse(),
          503: unavailableResponse(),
        },
      },
    },
  },
});
