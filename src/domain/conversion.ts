import type { ApiKeySnapshot } from "./api-key";
import type { TokenCaller } from "./caller";
import { type Client, CONVERTED_LEAD_STATUS } from "./client";
import { CONVERT_SCOPE, tokenHasScope } from "./scopes";

/**
 * What to do when the entity already has a client with the lead's NIT key:
 * refuse (`client_already_exists`), or convert the lead into that client.
 */
export type OnExistingClient = "reject" | "link";

export interface ConversionRequest {
  leadId: string;
  financialEntityId: string;
  /** Default `"reject"`. */
  onExistingClient?: OnExistingClient;
}

/** Everything the store writes for one attempt; ids and time are chosen before the write. */
export interface ConversionCommand extends ConversionRequest {
  onExistingClient: OnExistingClient;
  clientId: string;
  auditId: string;
  /** The `lead.converted` event written with the conversion, when it happens. */
  eventId: string;
  subject: string;
  requestId: string;
  at: string;
  /** The integration key's hash, when a key is the credential; null for a token. */
  keyHash: string | null;
}

/**
 * What the database looked like right after the conversion attempt, read in
 * the same transaction. The store reports it; {@link decideConversion} reads it.
 */
export interface ConversionSnapshot {
  financialEntity: { id: string; ecosystemId: string; status: string } | null;
  lead: {
    id: string;
    ecosystemId: string;
    financialEntityId: string | null;
    status: string;
    /** The client the lead was converted into, if it was. */
    client: Client | null;
    /** The lead was converted into a client made from another lead (it was linked). */
    linked: boolean;
    /** The id of the lead's audit record, once converted: tells which attempt converted it. */
    conversionAuditId: string | null;
  } | null;
  /** A client of the entity whose NIT matches the lead's, other than the lead's own client. */
  nitConflictClientId: string | null;
  /** Webhook deliveries this attempt queued with its event (0 when it converted nothing or nobody listens). */
  deliveriesToSend?: number;
  /** The integration key's row as the attempt saw it (null when none has this hash); absent for a token. */
  apiKey?: ApiKeySnapshot | null;
}

export type ConversionRefusal =
  | { kind: "unauthorized" }
  | { kind: "forbidden" }
  | { kind: "insufficient_scope" }
  | { kind: "financial_entity_not_found" }
  | { kind: "financial_entity_suspended" }
  | { kind: "lead_not_found" }
  | { kind: "lead_assigned_to_other_entity" }
  | { kind: "lead_already_converted" }
  | { kind: "client_already_exists"; existingClientId: string };

export type ConversionOutcome =
  /**
   * `linked`: the lead went into a client the entity already had (`on_existing_client: "link"`).
   * `eventId`: the conversion's event, when it has deliveries to send.
   */
  | { kind: "converted"; client: Client; linked: boolean; eventId?: string }
  | { kind: "replayed"; client: Client; linked: boolean }
  | ConversionRefusal;

/** The store the conversion needs: one atomic attempt that reports what it found. */
export interface ConversionStore {
  convert(command: ConversionCommand): Promise<ConversionSnapshot>;
}

/** Raised when a snapshot fits no rule: the store and these rules disagree. */
export class ConversionInvariantError extends Error {
  override name = "ConversionInvariantError";
}

/**
 * The checks that need only the token: scope first, then that the token acts
 * for the entity named in the request.
 */
export function authorizeConversion(actor: TokenCaller, request: ConversionRequest): ConversionRefusal | null {
  if (!tokenHasScope(actor, CONVERT_SCOPE)) {
    return { kind: "insufficient_scope" };
  }
  if (actor.financialEntityId !== request.financialEntityId) {
    return { kind: "forbidden" };
  }
  return null;
}

/**
 * Reads the snapshot of an attempt and says what happened.
 *
 * The store inserts the client only when every rule below passes, so the
 * rules are checked here in the order the contract ranks them, and a
 * snapshot where all pass but no client of ours exists is a broken invariant.
 *
 * @example
 * decideConversion(snapshot, command) // → { kind: "converted", client, linked: false }
 */
export function decideConversion(
  snapshot: ConversionSnapshot,
  attempt: Pick<ConversionCommand, "clientId" | "auditId" | "onExistingClient">,
): ConversionOutcome {
  const { financialEntity: entity, lead } = snapshot;
  if (entity === null) return { kind: "financial_entity_not_found" };
  // A conversion that already happened is answered even after the entity was
  // suspended: suspension stops new conversions, not the answer to an old one.
  const ours =
    lead?.ecosystemId === entity.ecosystemId && lead.client?.financialEntityId === entity.id ? lead.client : null;
  if (ours !== null) {
    // This attempt converted the lead when the client is the one it made, or the audit record the one it wrote.
    const now = ours.id === attempt.clientId || lead!.conversionAuditId === attempt.auditId;
    return { kind: now ? "converted" : "replayed", client: ours, linked: lead!.linked };
  }
  if (entity.status !== "active") return { kind: "financial_entity_suspended" };
  // A lead of another ecosystem is reported exactly like a missing one.
  if (lead === null || lead.ecosystemId !== entity.ecosystemId) return { kind: "lead_not_found" };

  if (lead.client !== null) return { kind: "lead_already_converted" };
  if (lead.status === CONVERTED_LEAD_STATUS) return { kind: "lead_already_converted" };
  if (lead.financialEntityId !== null && lead.financialEntityId !== entity.id) {
    return { kind: "lead_assigned_to_other_entity" };
  }
  // With "link", the store converts into the existing client: a conflict left standing breaks the rules.
  if (snapshot.nitConflictClientId !== null && attempt.onExistingClient !== "link") {
    return { kind: "client_already_exists", existingClientId: snapshot.nitConflictClientId };
  }
  throw new ConversionInvariantError("the lead passed every rule but was not converted");
}
