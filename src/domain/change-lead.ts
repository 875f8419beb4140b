import { type ApiKeySnapshot, decideOwnKeyAccess } from "./api-key";
import type { Acting, Caller } from "./caller";
import { CONVERTED_LEAD_STATUS } from "./client";
import type { LeadProfile, OpenLeadStatus } from "./lead-intake";
import { nitKey } from "./nit-key";
import { isLeadVisibleTo, type LeadLookup, type LeadView } from "./read-lead";
import { LEADS_WRITE_SCOPE, tokenHasScope } from "./scopes";

/** A merge patch of a lead, by the domain's names: a member present is set (null clears it), one absent is kept. */
export interface LeadPatch {
  profile: LeadProfile;
  status?: OpenLeadStatus;
}

/** `If-Match`: the versions any of whose ETags it names, or `any` for `*`. Absent: no precondition. */
export type LeadPrecondition = { versions: readonly number[] } | "any";

/** What the store writes for one change. */
export interface LeadChangeCommand {
  leadId: string;
  acting: Acting;
  patch: LeadPatch;
  /** The key of the patch's NIT, when the patch sets one: the store compares keys, it never computes one. */
  nitKey: string | null;
  precondition: LeadPrecondition | null;
  requestId: string;
  at: string;
  /** The first 19 characters of the id of the event this change writes. */
  eventIdPrefix: string;
}

/** What the change left behind, read in the same transaction. */
export interface LeadChangeSnapshot {
  /** The lead as it is now, and the entity asking; null when no lead has the id (or the entity may not act). */
  found: LeadLookup | null;
  entityStatus: string | null;
  /** The fields this change gave new values, when it changed the lead (then the version moved on by one). */
  changed: string[] | null;
  /**
   * The merged members (`payment_data`, `additional_data`, by their wire names) the patch would leave over
   * `MAX_LEAD_JSON_BYTES`; the store writes nothing while there is one.
   */
  oversized: string[];
  /** Another unconverted lead of the ecosystem with the patch's NIT key, when the patch would give the lead a new one. */
  nitHolder: { id: string; financialEntityId: string | null } | null;
  apiKey?: ApiKeySnapshot | null;
  /** The event this change wrote, when it has deliveries to send. */
  eventIds: string[];
}

export interface LeadChangeStore {
  changeLead(command: LeadChangeCommand): Promise<LeadChangeSnapshot>;
}

export type LeadChangeOutcome =
  | { kind: "updated"; lead: LeadView; changed: string[]; eventIds: string[] }
  | { kind: "unchanged"; lead: LeadView }
  | { kind: "unauthorized" }
  | { kind: "insufficient_scope" }
  | { kind: "lead_not_found" }
  | { kind: "financial_entity_suspended" }
  | { kind: "precondition_failed" }
  | { kind: "lead_already_converted" }
  | { kind: "lead_not_assigned" }
  /** The merge would leave these JSON members over the cap a create has (wire names). */
  | { kind: "merged_too_large"; fields: string[] }
  | { kind: "lead_already_exists"; existingLeadId: string | null };

/** Whether an `If-Match` holds for a lead at `version`. */
export function preconditionHolds(precondition: LeadPrecondition | null, version: number): boolean {
  return precondition === null || precondition === "any" || precondition.versions.includes(version);
}

/**
 * Changes a lead with a merge patch. Only the entity the lead is assigned to
 * may change it, while it is not converted. The store writes only when every
 * rule holds and the patch changes something, and reports what it found; the
 * rules are read here in the order the contract ranks them: a lead the entity
 * may not see is `lead_not_found` (never revealing which), then a suspended
 * entity, then `If-Match`, then the lead's state, then the size of what the
 * merge would store, then the NIT rule.
 *
 * @example
 * const outcome = await changeLead({ ctx: { actor, requestId, store }, input: { leadId, patch, precondition: null } });
 */
export async function changeLead({
  ctx,
  input,
}: {
  ctx: { actor: Caller; requestId: string; store: LeadChangeStore; now?: () => Date; newId?: () => string };
  input: { leadId: string; patch: LeadPatch; precondition: LeadPrecondition | null };
}): Promise<LeadChangeOutcome> {
  const { actor } = ctx;
  if (actor.kind !== "key" && !tokenHasScope(actor, LEADS_WRITE_SCOPE)) return { kind: "insufficient_scope" };
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const newId = ctx.newId ?? (() => crypto.randomUUID());
  const snapshot = await ctx.store.changeLead({
    leadId: input.leadId,
    acting: { caller: actor, at },
    patch: input.patch,
    nitKey: input.patch.profile.nit === undefined ? null : nitKey(input.patch.profile.nit),
    precondition: input.precondition,
    requestId: ctx.requestId,
    at,
    eventIdPrefix: newId().slice(0, 19),
  });
  if (actor.kind === "key") {
    const refusal = decideOwnKeyAccess(snapshot.apiKey, { at, scope: LEADS_WRITE_SCOPE });
    if (refusal !== null) return refusal;
  }
  return decideLeadChange(snapshot, input.precondition);
}

/**
 * The outcome of a change, from its snapshot.
 *
 * @example
 * decideLeadChange({ found, entityStatus: "active", changed: ["name"], oversized: [], nitHolder: null, eventIds: [] }, null) // → updated
 */
export function decideLeadChange(
  snapshot: LeadChangeSnapshot,
  precondition: LeadPrecondition | null,
): LeadChangeOutcome {
  const { found } = snapshot;
  if (found === null || !isLeadVisibleTo(found)) return { kind: "lead_not_found" };
  const { lead } = found;
  if (snapshot.changed !== null) {
    return { kind: "updated", lead, changed: snapshot.changed, eventIds: snapshot.eventIds };
  }
  if (snapshot.entityStatus !== "active") return { kind: "financial_entity_suspended" };
  if (!preconditionHolds(precondition, lead.version)) return { kind: "precondition_failed" };
  if (lead.convertedClientId !== null || lead.status === CONVERTED_LEAD_STATUS)
    return { kind: "lead_already_converted" };
  if (lead.financialEntityId === null) return { kind: "lead_not_assigned" };
  if (snapshot.oversized.length > 0) return { kind: "merged_too_large", fields: snapshot.oversized };
  if (snapshot.nitHolder !== null) {
    const holder = snapshot.nitHolder.financialEntityId;
    const visible = holder === null || holder === found.entity?.id;
    return { kind: "lead_already_exists", existingLeadId: visible ? snapshot.nitHolder.id : null };
  }
  return { kind: "unchanged", lead };
}
