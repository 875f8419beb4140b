import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { ConversionOutcome } from "../../domain/conversion";
import { type BulkConversionStore, convertLeadsToClients, MAX_BULK_LEADS } from "../../domain/convert-leads-to-clients";
import { CONVERT_SCOPE } from "../../domain/scopes";
import type { Announce } from "../announce";
import { bearerAuth, type RateLimiter, rateLimit, spendBudget, type TokenVerifier } from "../auth";
import { toUserBody } from "../bodies";
import { executionContextOf } from "../execution-context";
import { onExistingClientField, uuidField } from "../fields";
import type { RouteContract } from "../openapi/contract";
import { EXAMPLE_ENTITY, EXAMPLE_EXISTING_CLIENT, EXAMPLE_LEAD, EXAMPLE_USER } from "../openapi/examples";
import { ref } from "../openapi/parts";
import {
  commonHeaders,
  conversionForbiddenResponse,
  internalErrorResponse,
  jsonBody,
  jsonResponse,
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
import { problemSchema, userBodySchema } from "../openapi/schemas";
import { problemBody } from "../problem";
import { refusalError } from "../refusals";
import type { AppEnv } from "../types";
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

/** The 200 body: one result per requested lead, in the request's order. */
const bulkResultsSchema = () => {
  const uuid = z.string().check(z.guid());
  // A refusal of one lead: the problem, without the call's request id, and never `errors` (those refuse the whole call).
  const itemProblem = z.omit(problemSchema(), { request_id: true, errors: true });
  return z.strictObject({
    results: z.array(
      z.union([
        z.strictObject({
          lead_id: uuid,
          status: z.literal(200),
          replayed: z.boolean(),
          linked: z.boolean(),
          user: userBodySchema(),
        }),
        z.strictObject({ lead_id: uuid, status: z.union([z.literal(404), z.literal(409)]), problem: itemProblem }),
      ]),
    ),
  });
};

/** `POST /turn-leads-into-clients`, as /openapi.json documents it. */
export const turnLeadsIntoClientsContract = (): RouteContract => ({
  tag: "Conversions",
  schemas: {
    TurnLeadsIntoClientsRequest: {
      schema: turnLeadsIntoClientsBody,
      description: `1–${MAX_BULK_LEADS} distinct lead ids (compared in lowercase), UUIDs in any letter case; other members are ignored.`,
    },
    BulkResults: {
      schema: bulkResultsSchema(),
      description:
        "One result per requested lead, index-aligned with `lead_ids`: a 200 item carries the client, a 404/409 item the problem the single endpoint would answer.",
    },
  },
  paths: {
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
        requestBody: jsonBody("TurnLeadsIntoClientsRequest", {
          financial_entity_id: EXAMPLE_ENTITY,
          lead_ids: [EXAMPLE_LEAD, "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c02"],
        }),
        responses: {
          200: jsonResponse("One result per lead, in the request's order.", ref("BulkResults"), {
            headers: commonHeaders(),
            example: {
              results: [
                { lead_id: EXAMPLE_LEAD, status: 200, replayed: false, linked: false, user: EXAMPLE_USER },
                toBulkItem("9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c02", {
                  kind: "client_already_exists",
                  existingClientId: EXAMPLE_EXISTING_CLIENT,
                }),
              ],
            },
          }),
          400: validationErrorResponse(
            `Malformed JSON, a missing field, an id that is not a UUID, no ids, more than ${MAX_BULK_LEADS}, or a repeated id; \`errors\` names each field.`,
            "lead_ids",
            "lead_ids must not repeat an id (ids are compared in lowercase)",
          ),
          401: unauthorizedResponse(),
          403: conversionForbiddenResponse(),
          404: problemResponse(
            "`financial_entity_not_found`: no such entity. (A missing lead is an item of the 200.)",
            [refusalExample("financial_entity_not_found")],
          ),
          405: methodNotAllowedResponse("POST"),
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
