import { type ApiKeySnapshot, decideOwnKeyAccess } from "./api-key";
import type { Acting, Caller } from "./caller";
import { CONVERTED_LEAD_STATUS } from "./client";
import type { LeadView } from "./read-lead";
import { LEADS_WRITE_SCOPE, tokenHasScope } from "./scopes";

/** Taking a lead of the pool for the caller's entity, or handing one of the entity's back to the pool. */
export type AssignmentAction = "assign" | "unassign";

/** One attempt, as the store writes it: the lead, who acts, when, and the id its event gets if it changes the lead. */
export interface AssignmentCommand {
  action: AssignmentAction;
  leadId: string;
  /** Who acts, and the instant a key's expiry is judged at. */
  as: Acting;
  requestId: string;
  /** The event the change is announced with, to the entity that took or released the lead. */
  eventId: string;
}

/**
 * What the database looked like right after the attempt, read by the same
 * batch that made (or did not make) the change.
 */
export interface AssignmentSnapshot {
  /** The entity the credential acts for; null when it does not exist (or a key may not act). */
  entity: { id: string; ecosystemId: string; status: string } | null;
  lead: LeadView | null;
  /** The entity of the client the lead was converted into, if it was. */
  convertedClientEntityId: string | null;
  /** This attempt's event exists: the attempt changed the lead. */
  changed: boolean;
  /** Events written by this attempt that have deliveries to send (for the runtime's webhook driver). */
  eventsToSend: string[];
  /** The integration key's row as the attempt saw it (null when none has this hash); absent for a token. */
  apiKey?: ApiKeySnapshot | null;
}

/** The store the assignment needs: one atomic attempt that reports what it found. */
export interface AssignmentStore {
  change(command: AssignmentCommand): Promise<AssignmentSnapshot>;
}

export type AssignmentRefusal =
  | { kind: "unauthorized" }
  | { kind: "insufficient_scope" }
  | { kind: "financial_entity_suspended" }
  | { kind: "lead_not_found" }
  | { kind: "lead_assigned_to_other_entity" }
  | { kind: "lead_already_converted" };

export type AssignmentOutcome =
  /** `eventIds`: the events with deliveries to send. */
  | { kind: "assigned" | "unassigned"; lead: LeadView; eventIds: string[] }
  | { kind: "replayed"; lead: LeadView }
  | AssignmentRefusal;

/** Raised when a snapshot fits no rule: the store and these rules disagree. */
export class AssignmentInvariantError extends Error {
  override name = "AssignmentInvariantError";
}

const isConverted = (lead: LeadView) => lead.convertedClientId !== null || lead.status === CONVERTED_LEAD_STATUS;

/**
 * Says what an `assign` attempt did. Only leads of other ecosystems (and
 * missing ones) are 404: within its ecosystem an entity learns that a lead is
 * taken, as the conversion tells it. A lead already assigned to the entity is
 * a replay even once the entity is suspended, as a conversion's is: suspension
 * stops new assignments, not the answer to an old one.
 *
 * @example
 * decideAssignment(snapshot) // → { kind: "assigned", lead, eventIds } when this attempt took the lead
 */
export function decideAssignment(snapshot: AssignmentSnapshot): AssignmentOutcome {
  const { entity, lead } = snapshot;
  if (entity === null || lead === null || lead.ecosystemId !== entity.ecosystemId) return { kind: "lead_not_found" };
  if (lead.financialEntityId === entity.id && !isConverted(lead)) {
    return snapshot.changed ? { kind: "assigned", lead, eventIds: snapshot.eventsToSend } : { kind: "replayed", lead };
  }
  if (entity.status !== "active") return { kind: "financial_entity_suspended" };
  if (isConverted(lead)) return { kind: "lead_already_converted" };
  if (lead.financialEntityId !== null) return { kind: "lead_assigned_to_other_entity" };
  throw new AssignmentInvariantError("the lead could be assigned but was not");
}

/**
 * Says what an `unassign` attempt did. A lead the entity may not see —
 * another ecosystem's, another entity's, converted by another — is 404; a
 * pool lead is a replay (it is where unassigning puts it). Suspension does not
 * stop an entity from giving a lead back: it takes nothing.
 *
 * @example
 * decideUnassignment(snapshot) // → { kind: "unassigned", lead, eventIds } when this attempt released the lead
 */
export function decideUnassignment(snapshot: AssignmentSnapshot): AssignmentOutcome {
  const { entity, lead } = snapshot;
  if (entity === null || lead === null || lead.ecosystemId !== entity.ecosystemId) return { kind: "lead_not_found" };
  if (snapshot.changed) return { kind: "unassigned", lead, eventIds: snapshot.eventsToSend };
  if (isConverted(lead)) {
    const ours = (snapshot.convertedClientEntityId ?? lead.financialEntityId) === entity.id;
    return ours ? { kind: "lead_already_converted" } : { kind: "lead_not_found" };
  }
  if (lead.financialEntityId === null) return { kind: "replayed", lead };
  if (lead.financialEntityId !== entity.id) return { kind: "lead_not_found" };
  throw new AssignmentInvariantError("the lead could be unassigned but was not");
}

export interface AssignmentContext {
  actor: Caller;
  requestId: string;
  store: AssignmentStore;
  newId?: () => string;
  now?: () => Date;
}

/**
 * Assigns a pool lead to the caller's entity (`assign`), or returns one of the
 * entity's leads to the pool (`unassign`), in one database request. A token
 * without `leads:write` is refused before the store; a key is judged from the
 * attempt's own read of its row (its statements act only for a key that may).
 *
 * @example
 * const outcome = await changeAssignment({ ctx: { actor, requestId, store }, input: { action: "assign", leadId } });
 */
export async function changeAssignment({
  ctx,
  input,
}: {
  ctx: AssignmentContext;
  input: { action: AssignmentAction; leadId: string };
}): Promise<AssignmentOutcome> {
  const { actor } = ctx;
  if (actor.kind === "jwt" && !tokenHasScope(actor, LEADS_WRITE_SCOPE)) return { kind: "insufficient_scope" };
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const snapshot = await ctx.store.change({
    ...input,
    as: { caller: actor, at },
    requestId: ctx.requestId,
    eventId: (ctx.newId ?? (() => crypto.randomUUID()))(),
  });
  if (actor.kind === "key") {
    const refusal = decideOwnKeyAccess(snapshot.apiKey, { at, scope: LEADS_WRITE_SCOPE });
    if (refusal !== null) return refusal;
  }
  return input.action === "assign" ? decideAssignment(snapshot) : decideUnassignment(snapshot);
}
