import type { LeadChangeOutcome } from "../domain/change-lead";
import type { LeadIntakeRefusal, NewLeadOutcome } from "../domain/lead-intake";
import { LEADS_WRITE_SCOPE } from "../domain/scopes";
import { INVALID_KEY_DESCRIPTION, insufficientScopeError, invalidToken } from "./auth";
import { toLeadBody } from "./bodies";
import { INVALID_BODY } from "./details";
import { jsonTooLargeMessage } from "./lead-fields";
import { ApiError, problemBody } from "./problem";

/** Every refusal of the lead writes, by its kind. */
export type LeadRefusal =
  | LeadIntakeRefusal
  | Exclude<NewLeadOutcome, { kind: "created" | "replayed" }>
  | Exclude<LeadChangeOutcome, { kind: "updated" | "unchanged" }>;

const DETAILS: Record<
  Exclude<LeadRefusal["kind"], "unauthorized" | "insufficient_scope" | "merged_too_large">,
  string
> = {
  forbidden: "A credential may only assign a lead to its own financial entity, or leave it in the shared pool (null).",
  financial_entity_not_found: "No financial entity exists with this id.",
  financial_entity_suspended: "The financial entity is suspended and cannot take in or change leads.",
  external_id_conflict:
    "The financial entity already made a lead with this external_id from another request; the lead is named in existing_lead_id.",
  lead_already_exists: "An unconverted lead of the ecosystem already has the same NIT.",
  lead_not_found: "No lead with this id is visible to the financial entity.",
  precondition_failed:
    "The lead changed since the ETag in If-Match: read it again, then send the change with its new ETag.",
  lead_already_converted: "The lead was converted into a client: it can no longer be changed.",
  lead_not_assigned: "The lead is in the ecosystem's shared pool: assign it to the financial entity first.",
};

/**
 * A refusal of the lead writes as the problem the caller gets: the one place
 * where these outcomes meet their HTTP answer.
 *
 * @example
 * throw leadRefusalError({ kind: "lead_already_exists", existingLeadId: null });
 */
export function leadRefusalError(refusal: LeadRefusal): ApiError {
  if (refusal.kind === "insufficient_scope") return insufficientScopeError(LEADS_WRITE_SCOPE);
  // Unknown, revoked and expired keys: one answer, the same as a malformed key's.
  if (refusal.kind === "unauthorized") return invalidToken(INVALID_KEY_DESCRIPTION);
  // The problem a create with the member that large gets, naming each member the merge would grow past the cap.
  if (refusal.kind === "merged_too_large") {
    return new ApiError("validation_error", INVALID_BODY, {
      extensions: { errors: refusal.fields.map((field) => ({ path: field, message: jsonTooLargeMessage(field) })) },
    });
  }
  const existing =
    (refusal.kind === "external_id_conflict" || refusal.kind === "lead_already_exists") && refusal.existingLeadId
      ? { existing_lead_id: refusal.existingLeadId }
      : undefined;
  return new ApiError(refusal.kind, DETAILS[refusal.kind], { extensions: existing });
}

/** One item of a bulk answer, from the outcome the single create would have had. */
export function toBulkLeadItem(index: number, outcome: NewLeadOutcome | ApiError) {
  if (outcome instanceof ApiError || (outcome.kind !== "created" && outcome.kind !== "replayed")) {
    const error = outcome instanceof ApiError ? outcome : leadRefusalError(outcome);
    // The single create's problem body; the request id is the call's, in its X-Request-Id.
    const { request_id: _, ...problem } = problemBody(error, "");
    return { index, status: error.status, problem };
  }
  return { index, status: outcome.kind === "created" ? 201 : 200, lead: toLeadBody(outcome.lead) };
}
