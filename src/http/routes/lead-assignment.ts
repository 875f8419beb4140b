import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { type AssignmentAction, type AssignmentStore, changeAssignment } from "../../domain/lead-assignment";
import { LEADS_WRITE_SCOPE, tokenHasScope } from "../../domain/scopes";
import type { Announce } from "../announce";
import { bearerAuth, type RateLimiter, rateLimit, type TokenVerifier } from "../auth";
import { executionContextOf } from "../execution-context";
import { toLeadBody } from "../lead-body";
import { pathId } from "../path-id";
import { assignmentRefusalError } from "../refusals";
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
        return c.json(toLeadBody(outcome.lead), 200);
      case "replayed":
        return c.json(toLeadBody(outcome.lead), 200, { "Idempotent-Replayed": "true" });
      default:
        throw assignmentRefusalError(outcome);
    }
  };
  const before = [jsonBodyLimit(MAX_BODY_BYTES), bearerAuth({ verifyToken }), rateLimit(requests)] as const;
  return new Hono<AppEnv>()
    .post(LEAD_ASSIGN_PATH, ...before, handle("assign"))
    .post(LEAD_UNASSIGN_PATH, ...before, handle("unassign"));
}
