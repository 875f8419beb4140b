import { Hono } from "hono/tiny";
import { type LeadReader, readLead } from "../../domain/read-lead";
import { LEADS_READ_SCOPE } from "../../domain/scopes";
import { bearerAuth, insufficientScopeError, type TokenVerifier, rateLimit, type RateLimiter, tokenActor, tokenOnly } from "../auth";
import { toLeadBody } from "../lead-body";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";
import { pathId } from "./path-id";

export const LEAD_PATH = "/leads/:lead_id";

export interface LeadsRouteDeps {
  reader: LeadReader;
  verifyToken: TokenVerifier;
  /** The other-requests budget of each credential. */
  requests: RateLimiter;
}

const notFound = () => new ApiError("lead_not_found", "No lead with this id is visible to the financial entity.");

/**
 * `GET /leads/{lead_id}`: a lead of the token's ecosystem that is unassigned,
 * assigned to the token's entity, or converted by it. Any other lead is
 * answered exactly like a missing one.
 */
export function leadsRoute({ reader, verifyToken, requests }: LeadsRouteDeps) {
  return new Hono<AppEnv>().get(LEAD_PATH, bearerAuth({ verifyToken }), rateLimit(requests), tokenOnly(), async (c) => {
    const leadId = pathId(c.req.param("lead_id"));
    if (leadId !== null) c.set("leadId", leadId);
    const outcome =
      leadId === null ? { kind: "lead_not_found" as const } : await readLead({ ctx: { actor: tokenActor(c.get("actor")), reader }, input: { leadId } });
    switch (outcome.kind) {
      case "found":
        c.set("outcome", "found");
        return c.json(toLeadBody(outcome.lead), 200);
      case "insufficient_scope":
        throw insufficientScopeError(LEADS_READ_SCOPE);
      default:
        throw notFound();
    }
  });
}
