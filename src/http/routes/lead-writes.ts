import { zValidator } from "@hono/zod-validator";
import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { changeLead, type LeadChangeStore } from "../../domain/change-lead";
import { createLeads, type LeadIntakeStore } from "../../domain/lead-intake";
import type { LeadView } from "../../domain/read-lead";
import type { Announce } from "../announce";
import { bearerAuth, type RateLimiter, rateLimit, spendBudget, type TokenVerifier } from "../auth";
import { toLeadBody } from "../bodies";
import { ifMatchPrecondition, leadETag } from "../etag";
import { executionContextOf } from "../execution-context";
import {
  LEAD_PATCH_MEDIA_TYPES,
  leadPatchBody,
  MAX_BULK_LEADS_BODY_BYTES,
  newLeadBody,
  newLeadsBody,
  toLeadProfile,
  toNewLead,
} from "../lead-fields";
import { leadRefusalError, toBulkLeadItem } from "../lead-problems";
import type { RouteContract } from "../openapi/contract";
import { leadPatchOperation, leadWritePaths, leadWriteSchemas } from "../openapi/lead-writes";
import { pathParameter } from "../openapi/responses";
import { pathId } from "../path-id";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";
import { jsonBodyLimit, MAX_BODY_BYTES, requireJsonBody, toValidationIssues, validationHook } from "../validation";

export const LEADS_PATH = "/leads";
export const LEADS_BULK_PATH = "/leads/bulk";

export interface LeadWritesDeps {
  intake: LeadIntakeStore;
  changes: LeadChangeStore;
  verifyToken: TokenVerifier;
  /** Hands the events a write made to the runtime's webhook driver. */
  announce?: Announce;
  /** The other-requests budget of each credential: a bulk call spends one per lead. */
  requests: RateLimiter;
}

/** The headers every answer carrying a lead has: where it lives, and its validator. */
const leadHeaders = (lead: LeadView) => ({ Location: `${LEADS_PATH}/${lead.id}`, ETag: leadETag(lead.version) });

/**
 * The lead writes: `POST /leads`, `POST /leads/bulk` and `PATCH /leads/{lead_id}`.
 * Checks run in the contract's order — body size, credential, rate limit,
 * content type and body, scope and entity, then the database, one request per
 * call; for an integration key, its state, scope and entity are read by that
 * same request.
 */
export function leadWritesRoutes({ intake, changes, verifyToken, announce, requests }: LeadWritesDeps) {
  const announceAll = (c: Context<AppEnv>, eventIds: readonly string[]) => {
    for (const eventId of eventIds) announce?.(eventId, executionContextOf(c));
  };
  const create = (c: Context<AppEnv>, leads: Parameters<typeof createLeads>[0]["input"]["leads"]) =>
    createLeads({ ctx: { actor: c.get("actor"), requestId: c.get("requestId"), store: intake }, input: { leads } });

  return new Hono<AppEnv>()
    .post(
      LEADS_PATH,
      jsonBodyLimit(MAX_BODY_BYTES),
      bearerAuth({ verifyToken }),
      rateLimit(requests),
      requireJsonBody(),
      zValidator("json", newLeadBody, validationHook),
      async (c) => {
        const outcome = await create(c, [toNewLead(c.req.valid("json"))]);
        if (outcome.kind !== "decided") throw leadRefusalError(outcome);
        const item = outcome.items[0]!;
        c.set("outcome", item.kind);
        if (item.kind !== "created" && item.kind !== "replayed") throw leadRefusalError(item);
        c.set("leadId", item.lead.id);
        announceAll(c, outcome.eventIds);
        if (item.kind === "created") return c.json(toLeadBody(item.lead), 201, leadHeaders(item.lead));
        return c.json(toLeadBody(item.lead), 200, { ...leadHeaders(item.lead), "Idempotent-Replayed": "true" });
      },
    )
    .post(
      LEADS_BULK_PATH,
      jsonBodyLimit(MAX_BULK_LEADS_BODY_BYTES),
      bearerAuth({ verifyToken }),
      rateLimit(requests),
      requireJsonBody(),
      zValidator("json", newLeadsBody, validationHook),
      async (c) => {
        const items = c.req.valid("json").leads;
        repeatedExternalIds(items);
        // Each lead counts one against the budget; the middleware spent the first.
        if (items.length > 1) await spendBudget(requests, c.get("actor"), items.length - 1);
        const parsed = items.map((item) => newLeadBody.safeParse(item));
        const valid = parsed.flatMap((result) => (result.success ? [toNewLead(result.data)] : []));
        const outcome = await create(c, valid);
        if (outcome.kind !== "decided") throw leadRefusalError(outcome);
        c.set("outcome", "decided");
        announceAll(c, outcome.eventIds);
        let next = 0;
        const results = parsed.map((result, index) =>
          toBulkLeadItem(
            index,
            result.success
              ? outcome.items[next++]!
              : new ApiError("validation_error", "The lead is not valid.", {
                  extensions: { errors: toValidationIssues(result.error.issues) },
                }),
          ),
        );
        return c.json({ results }, 200);
      },
    )
    .patch(
      `${LEADS_PATH}/:lead_id`,
      jsonBodyLimit(MAX_BODY_BYTES),
      bearerAuth({ verifyToken }),
      rateLimit(requests),
      requireJsonBody(LEAD_PATCH_MEDIA_TYPES),
      zValidator("json", leadPatchBody, validationHook),
      async (c) => {
        const actor = c.get("actor");
        const leadId = pathId(c.req.param("lead_id"));
        if (leadId !== null) c.set("leadId", leadId);
        // A token's answer to an id that is not a UUID needs no database; a key's state is known only from its read.
        if (leadId === null && actor.kind !== "key") throw leadRefusalError({ kind: "lead_not_found" });
        const body = c.req.valid("json");
        const outcome = await changeLead({
          ctx: { actor, requestId: c.get("requestId"), store: changes },
          input: {
            leadId: leadId ?? c.req.param("lead_id"),
            patch: { profile: toLeadProfile(body), ...(body.status === undefined ? {} : { status: body.status }) },
            precondition: ifMatchPrecondition(c.req.header("If-Match")),
          },
        });
        c.set("outcome", outcome.kind);
        if (outcome.kind !== "updated" && outcome.kind !== "unchanged") throw leadRefusalError(outcome);
        if (outcome.kind === "updated") announceAll(c, outcome.eventIds);
        return c.json(toLeadBody(outcome.lead), 200, { ETag: leadETag(outcome.lead.version) });
      },
    );
}

/** Two leads of one call with the same `external_id` refuse the whole call: which of them would the id name? */
function repeatedExternalIds(items: readonly unknown[]) {
  const seen = new Map<string, number>();
  const errors: { path: string; message: string }[] = [];
  items.forEach((item, index) => {
    const externalId = (item as { external_id?: unknown } | null)?.external_id;
    if (typeof externalId !== "string") return;
    const first = seen.get(externalId);
    if (first === undefined) seen.set(externalId, index);
    else errors.push({ path: `leads.${index}.external_id`, message: `external_id repeats that of leads.${first}` });
  });
  if (errors.length > 0) {
    throw new ApiError("validation_error", "The request body is not valid.", { extensions: { errors } });
  }
}

/** `POST /leads`, `POST /leads/bulk` and `PATCH /leads/{lead_id}`, as /openapi.json documents them. */
export const leadWritesContract = (): RouteContract => ({
  tag: "Leads",
  schemas: leadWriteSchemas(),
  paths: {
    ...leadWritePaths(),
    "/leads/{lead_id}": { patch: leadPatchOperation(pathParameter("lead_id", "The lead's id, in any letter case.")) },
  },
});
