import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { type AssignmentAction, type AssignmentStore, changeAssignment } from "../../domain/lead-assignment";
import { LEADS_WRITE_SCOPE, tokenHasScope } from "../../domain/scopes";
import type { Announce } from "../announce";
import { bearerAuth, DEFAULT_RATE_LIMITS, type RateLimiter, rateLimit, type TokenVerifier } from "../auth";
import { toLeadBody } from "../bodies";
import {
  DATABASE_UNAVAILABLE,
  INTERNAL_ERROR,
  MISSING_CREDENTIALS,
  missingScope,
  overBudget,
  tooLarge,
} from "../details";
import { leadETag } from "../etag";
import { executionContextOf } from "../execution-context";
import type { RouteContract } from "../openapi/contract";
import { header, ref } from "../openapi/parts";
import { type DocumentedProblem, problemsByStatus } from "../openapi/responses";
import { pathId } from "../path-id";
import { ASSIGNMENT_DETAILS, assignmentRefusalError } from "../refusals";
import type { AppEnv } from "../types";
import { jsonBodyLimit, MAX_BODY_BYTES } from "../validation";

export const LEAD_ASSIGN_PATH = "/leads/:lead_id/assign";
export const LEAD_UNASSIGN_PATH = "/leads/:lead_id/unassign";

export interface LeadAssignmentDeps {
  store: AssignmentStore;
  verifyToken: TokenVerifier;
  /** Hands each new event to the runtime's webhook driver. */
  announce?: Announce;
  /** The other-requests budget of each credential. */
  requests: RateLimiter;
}

/**
 * `POST /leads/{lead_id}/assign` and `POST /leads/{lead_id}/unassign`: no
 * body; the lead taken from the ecosystem's pool for the credential's entity,
 * or given back to it. Each is one database request that decides for itself
 * (any number of simultaneous assigns: one wins) and writes its events.
 */
export function leadAssignmentRoutes({ store, verifyToken, announce, requests }: LeadAssignmentDeps) {
  const handle = (action: AssignmentAction) => async (c: Context<AppEnv>) => {
    const actor = c.get("actor");
    const raw = c.req.param("lead_id") ?? "";
    const leadId = pathId(raw);
    if (leadId !== null) c.set("leadId", leadId);
    // A token's answer to an id that is not a UUID needs no database (once its scope passed); a key's state is
    // known only from its own read.
    const outcome =
      leadId === null && actor.kind === "jwt" && tokenHasScope(actor, LEADS_WRITE_SCOPE)
        ? { kind: "lead_not_found" as const }
        : await changeAssignment({
            ctx: { actor, requestId: c.get("requestId"), store },
            input: { action, leadId: leadId ?? raw },
          });
    c.set("outcome", outcome.kind);
    switch (outcome.kind) {
      case "assigned":
      case "unassigned":
        for (const eventId of outcome.eventIds) announce?.(eventId, executionContextOf(c));
        return c.json(toLeadBody(outcome.lead), 200, { ETag: leadETag(outcome.lead.version) });
      case "replayed":
        return c.json(toLeadBody(outcome.lead), 200, {
          ETag: leadETag(outcome.lead.version),
          "Idempotent-Replayed": "true",
        });
      default:
        throw assignmentRefusalError(outcome);
    }
  };
  const before = [jsonBodyLimit(MAX_BODY_BYTES), bearerAuth({ verifyToken }), rateLimit(requests)] as const;
  return new Hono<AppEnv>()
    .post(LEAD_ASSIGN_PATH, ...before, handle("assign"))
    .post(LEAD_UNASSIGN_PATH, ...before, handle("unassign"));
}

/** `POST /leads/{lead_id}/assign` and `POST /leads/{lead_id}/unassign`, as /openapi.json documents them. */
export function leadAssignmentContract(): RouteContract {
  const security = [{ bearerAuth: [LEADS_WRITE_SCOPE] }];
  const leadIdParameter = {
    name: "lead_id",
    in: "path",
    required: true,
    description: "The lead's id, in any letter case.",
    schema: { type: "string" },
  };
  const answered = (description: string) => ({
    description,
    headers: {
      "X-Request-Id": header("XRequestId"),
      "Cache-Control": header("CacheControlNoStore"),
      "Idempotent-Replayed": header("IdempotentReplayed"),
      ETag: header("ETag"),
    },
    content: { "application/json": { schema: ref("Lead") } },
  });
  const common: DocumentedProblem[] = [
    ["unauthorized", MISSING_CREDENTIALS],
    ["insufficient_scope", missingScope(LEADS_WRITE_SCOPE)],
    ["lead_not_found", ASSIGNMENT_DETAILS.lead_not_found],
    ["payload_too_large", tooLarge(MAX_BODY_BYTES)],
    ["rate_limited", overBudget(DEFAULT_RATE_LIMITS.requests, "requests")],
    ["internal_error", INTERNAL_ERROR],
    ["service_unavailable", DATABASE_UNAVAILABLE],
  ];
  return {
    tag: "Leads",
    paths: {
      "/leads/{lead_id}/assign": {
        parameters: [leadIdParameter],
        post: {
          operationId: "assignLead",
          summary: "Take an unassigned lead of the ecosystem's pool for the credential's financial entity",
          description:
            "No body. One database request, race-safe: of any number of entities assigning one lead at once, exactly one gets 200 and the others 409 `lead_assigned_to_other_entity`. Assigning a lead the entity already holds is a replay (`Idempotent-Replayed: true`, even once the entity is suspended), which sends no event. The entity gets a `lead.assigned` event. A lead of another ecosystem, or none, is 404.",
          security,
          responses: {
            200: answered("The lead, now assigned to the entity (or already, in a replay)."),
            ...problemsByStatus([
              ...common.slice(0, 2),
              ["financial_entity_suspended", ASSIGNMENT_DETAILS.financial_entity_suspended],
              ...common.slice(2, 3),
              ["lead_assigned_to_other_entity", ASSIGNMENT_DETAILS.lead_assigned_to_other_entity],
              ["lead_already_converted", ASSIGNMENT_DETAILS.lead_already_converted],
              ...common.slice(3),
            ]),
          },
        },
      },
      "/leads/{lead_id}/unassign": {
        parameters: [leadIdParameter],
        post: {
          operationId: "unassignLead",
          summary: "Give one of the entity's unconverted leads back to the ecosystem's pool",
          description:
            "No body. One database request. A lead already in the pool is a replay (`Idempotent-Replayed: true`) and sends nothing. The entity gets a `lead.unassigned` event, and so does every other active entity of the ecosystem with an endpoint subscribed to it (the lead is theirs to take). Another entity's lead, another ecosystem's, or none is 404; the entity's converted lead is 409.",
          security,
          responses: {
            200: answered("The lead, now in the pool (or already, in a replay)."),
            ...problemsByStatus([
              ...common.slice(0, 3),
              ["lead_already_converted", ASSIGNMENT_DETAILS.lead_already_converted],
              ...common.slice(3),
            ]),
          },
        },
      },
    },
  };
}
