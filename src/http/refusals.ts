import type { ConversionRefusal } from "../domain/conversion";
import type { AssignmentRefusal } from "../domain/lead-assignment";
import { LEADS_WRITE_SCOPE } from "../domain/scopes";
import { INVALID_KEY_DESCRIPTION, insufficientScopeError, invalidToken } from "./auth";
import { NO_SUCH_ENDPOINT, NO_SUCH_ENTITY, NO_SUCH_EVENT, NO_VISIBLE_LEAD } from "./details";
import { ApiError } from "./problem";

// The domain's refusals as the problems the caller gets: each detail is written
// here once, and the routes and the OpenAPI document's examples both use it.

const CONVERSION_DETAILS: Record<Exclude<ConversionRefusal["kind"], "insufficient_scope" | "unauthorized">, string> = {
  forbidden: "The token does not act for this financial entity.",
  financial_entity_not_found: NO_SUCH_ENTITY,
  financial_entity_suspended: "The financial entity is suspended and cannot take new clients.",
  lead_not_found: "No lead with this id exists in the financial entity's ecosystem.",
  lead_assigned_to_other_entity: "The lead is assigned to another financial entity of the ecosystem.",
  lead_already_converted: "The lead was already converted into a client of another financial entity.",
  client_already_exists: "The financial entity already has a client with the same NIT.",
};

/**
 * A refusal of the conversion (single or bulk), as the problem the caller gets.
 *
 * @example
 * if (outcome.kind !== "converted" && outcome.kind !== "replayed") throw refusalError(outcome);
 */
export function refusalError(refusal: ConversionRefusal): ApiError {
  if (refusal.kind === "insufficient_scope") return insufficientScopeError();
  // Unknown, revoked and expired keys: one answer, the same as a malformed key's.
  if (refusal.kind === "unauthorized") return invalidToken(INVALID_KEY_DESCRIPTION);
  const extensions =
    refusal.kind === "client_already_exists" ? { existing_user_id: refusal.existingClientId } : undefined;
  return new ApiError(refusal.kind, CONVERSION_DETAILS[refusal.kind], { extensions });
}

export const ASSIGNMENT_DETAILS: Record<
  Exclude<AssignmentRefusal["kind"], "insufficient_scope" | "unauthorized">,
  string
> = {
  financial_entity_suspended: "The financial entity is suspended and cannot take leads.",
  lead_not_found: NO_VISIBLE_LEAD,
  lead_assigned_to_other_entity: "The lead is assigned to another financial entity of the ecosystem.",
  lead_already_converted: "The lead was already converted into a client.",
};

/** A refusal of an assign or unassign, as the problem the caller gets. */
export function assignmentRefusalError(refusal: AssignmentRefusal): ApiError {
  if (refusal.kind === "insufficient_scope") return insufficientScopeError(LEADS_WRITE_SCOPE);
  if (refusal.kind === "unauthorized") return invalidToken(INVALID_KEY_DESCRIPTION);
  return new ApiError(refusal.kind, ASSIGNMENT_DETAILS[refusal.kind]);
}

/** No endpoint with the id exists for the caller's entity (another entity's endpoints do not exist here). */
export const endpointNotFound = () => new ApiError("webhook_endpoint_not_found", NO_SUCH_ENDPOINT);

/** No event with the id exists for the caller's entity. */
export const eventNotFound = () => new ApiError("event_not_found", NO_SUCH_EVENT);
