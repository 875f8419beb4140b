import { Hono } from "hono/tiny";
import { type LeadReader, readLead } from "../../domain/read-lead";
import { LEADS_READ_SCOPE } from "../../domain/scopes";
import {
  bearerAuth,
  INVALID_KEY_DESCRIPTION,
  insufficientScopeError,
  invalidToken,
  type RateLimiter,
  rateLimit,
  type TokenVerifier,
} from "../auth";
import { toLeadBody } from "../bodies";
import { NO_VISIBLE_LEAD } from "../details";
import { leadETag, noneMatchHits } from "../etag";
import type { RouteContract } from "../openapi/contract";
import { EXAMPLE_LEAD } from "../openapi/examples";
import { header, problem, ref } from "../openapi/parts";
import { commonHeaders, jsonResponse, pathParameter, problemResponse, readResponses } from "../openapi/responses";
import { leadBodySchema } from "../openapi/schemas";
import { pathId } from "../path-id";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";

export const LEAD_PATH = "/leads/:lead_id";

export interface LeadsRouteDeps {
  reader: LeadReader;
  verifyToken: TokenVerifier;
  /** The other-requests budget of each credential. */
  requests: RateLimiter;
}

const notFound = () => new ApiError("lead_not_found", NO_VISIBLE_LEAD);

/**
 * `GET /leads/{lead_id}`: a lead of the token's ecosystem that is unassigned,
 * assigned to the token's entity, or converted by it. Any other lead is
 * answered exactly like a missing one. The answer carries the lead's `ETag`;
 * an `If-None-Match` naming it is answered 304 without a body.
 */
export function leadsRoute({ reader, verifyToken, requests }: LeadsRouteDeps) {
  return new Hono<AppEnv>().get(LEAD_PATH, bearerAuth({ verifyToken }), rateLimit(requests), async (c) => {
    const actor = c.get("actor");
    const leadId = pathId(c.req.param("lead_id"));
    if (leadId !== null) c.set("leadId", leadId);
    // A token's answer to an id that is not a UUID needs no database; a key's state is known only from its read.
    const outcome =
      leadId === null && actor.kind !== "key"
        ? { kind: "lead_not_found" as const }
        : await readLead({ ctx: { actor, reader }, input: { leadId: leadId ?? c.req.param("lead_id") } });
    switch (outcome.kind) {
      case "found": {
        const etag = leadETag(outcome.lead.version);
        if (noneMatchHits(c.req.header("If-None-Match"), outcome.lead.version)) {
          c.set("outcome", "not_modified");
          return c.body(null, 304, { ETag: etag });
        }
        c.set("outcome", "found");
        return c.json(toLeadBody(outcome.lead), 200, { ETag: etag });
      }
      case "unauthorized":
        throw invalidToken(INVALID_KEY_DESCRIPTION);
      case "insufficient_scope":
        throw insufficientScopeError(LEADS_READ_SCOPE);
      default:
        throw notFound();
    }
  });
}

/** `GET /leads/{lead_id}`, as /openapi.json documents it. */
export const leadsContract = (): RouteContract => ({
  tag: "Leads",
  schemas: {
    Lead: {
      schema: leadBodySchema(),
      description:
        "A lead, as its ecosystem's entities may see it: always these 22 keys, in this order; times are ISO 8601 UTC.",
    },
  },
  paths: {
    "/leads/{lead_id}": {
      get: {
        operationId: "getLead",
        summary: "Read a lead the token's financial entity may see",
        description:
          "Visible to an entity of the lead's ecosystem while the lead is unassigned, assigned to it, or converted by it. One database request.",
        security: [{ bearerAuth: [LEADS_READ_SCOPE] }],
        parameters: [
          pathParameter("lead_id", "The lead's id, in any letter case."),
          {
            name: "If-None-Match",
            in: "header",
            required: false,
            description:
              "ETags you hold (or `*`): when one is the lead's current one, the answer is 304 without a body.",
            schema: { type: "string" },
          },
        ],
        responses: {
          304: {
            description: "The lead has not changed since the ETag in `If-None-Match`.",
            headers: { "X-Request-Id": header("XRequestId"), ETag: header("ETag") },
          },
          200: jsonResponse("The lead, with its `ETag`.", ref("Lead"), {
            headers: { ...commonHeaders(), ETag: header("ETag") },
            example: {
              id: EXAMPLE_LEAD,
              status: "qualified",
              ecosystem: "0b7c2a52-6f1e-4d7a-9a57-3f0c2d1e8a01",
              financial_entity_id: null,
              converted_user_id: null,
              converted_at: null,
              created_at: "2026-11-02T14:05:09.120Z",
              image: null,
              name: "Laura",
              lastname: "Gómez",
              business_name: "Panadería La Espiga S.A.S.",
              quota: 15000000,
              phone: "+57 300 555 0101",
              email: "laura.gomez@example.com",
              nit: "901.234.567-7",
              address: "Calle 10 # 43-12, Medellín",
              history: [{ event: "called" }],
              score: 742,
              payment_data: { bank: "Bancolombia" },
              apn_token: null,
              business_entity: "S.A.S.",
              additional_data: {},
            },
          }),
          404: problemResponse(
            "`lead_not_found`: no such lead, a lead of another ecosystem, assigned to or converted by another entity (indistinguishable), or an id that is not a UUID.",
            [problem("lead_not_found", NO_VISIBLE_LEAD)],
          ),
          ...readResponses(LEADS_READ_SCOPE, "GET, HEAD, PATCH"),
        },
      },
    },
  },
});
