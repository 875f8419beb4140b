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
import { leadETag, noneMatchHits } from "../etag";
import { toLeadBody } from "../lead-body";
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

const notFound = () => new ApiError("lead_not_found", "No lead with this id is visible to the financial entity.");

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
