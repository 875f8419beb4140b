import { type ApiKeySnapshot, decideOwnKeyAccess } from "./api-key";
import type { Acting, Caller } from "./caller";
import { LEADS_READ_SCOPE, tokenHasScope } from "./scopes";

/** A lead as `GET /leads/{lead_id}` shows it. JSON members are null when absent or not of their type. */
export interface LeadView {
  id: string;
  status: string;
  ecosystemId: string;
  /** The entity the lead is assigned to, or was converted for. */
  financialEntityId: string | null;
  convertedClientId: string | null;
  convertedAt: string | null;
  createdAt: string;
  image: string | null;
  name: string | null;
  lastname: string | null;
  businessName: string | null;
  quota: number | null;
  phone: string | null;
  email: string | null;
  nit: string | null;
  address: string | null;
  history: unknown[] | null;
  score: number | null;
  paymentData: Record<string, unknown> | null;
  apnToken: string | null;
  businessEntity: string | null;
  additionalData: Record<string, unknown> | null;
  /** Changes with every change to the lead: its `ETag`. */
  version: number;
}

/** What one read finds: the lead, the entity asking (null when it does not exist), and who holds the lead's client. */
export interface LeadLookup {
  lead: LeadView;
  entity: { id: string; ecosystemId: string } | null;
  /** The entity of the client the lead was converted into, if it was. */
  convertedClientEntityId: string | null;
}

/**
 * Where leads are read from: one database request per call, which for a key
 * also reads the key's row and sees the lead as the key's own entity.
 */
export interface LeadReader {
  findLead(
    leadId: string,
    as: Acting,
    scope: string,
  ): Promise<{ found: LeadLookup | null; apiKey?: ApiKeySnapshot | null }>;
}

export type LeadReadOutcome =
  | { kind: "found"; lead: LeadView }
  | { kind: "unauthorized" }
  | { kind: "insufficient_scope" }
  | { kind: "lead_not_found" };

/**
 * Whether the entity may see the lead: it must be of the lead's ecosystem, and
 * the lead unassigned, assigned to it, or converted by it. Any other lead is
 * reported exactly like a missing one.
 *
 * @example
 * isLeadVisibleTo({ lead, entity, convertedClientEntityId: null }) // unassigned lead of its ecosystem → true
 */
export function isLeadVisibleTo({ lead, entity, convertedClientEntityId }: LeadLookup): boolean {
  if (entity === null || entity.ecosystemId !== lead.ecosystemId) return false;
  if (convertedClientEntityId !== null) return convertedClientEntityId === entity.id;
  return lead.financialEntityId === null || lead.financialEntityId === entity.id;
}

/**
 * Reads one lead the caller's entity may see. A token's scope is checked
 * before the read; a key is judged from the read's own view of its row.
 *
 * @example
 * const outcome = await readLead({ ctx: { actor, reader }, input: { leadId } });
 */
export async function readLead({
  ctx,
  input,
}: {
  ctx: { actor: Caller; reader: LeadReader; now?: () => Date };
  input: { leadId: string };
}): Promise<LeadReadOutcome> {
  const { actor, reader } = ctx;
  let found: LeadLookup | null;
  const at = (ctx.now?.() ?? new Date()).toISOString();
  if (actor.kind === "key") {
    const read = await reader.findLead(input.leadId, { caller: actor, at }, LEADS_READ_SCOPE);
    const refusal = decideOwnKeyAccess(read.apiKey, { at, scope: LEADS_READ_SCOPE });
    if (refusal !== null) return refusal;
    found = read.found;
  } else {
    if (!tokenHasScope(actor, LEADS_READ_SCOPE)) return { kind: "insufficient_scope" };
    found = (await reader.findLead(input.leadId, { caller: actor, at }, LEADS_READ_SCOPE)).found;
  }
  if (found === null || !isLeadVisibleTo(found)) return { kind: "lead_not_found" };
  return { kind: "found", lead: found.lead };
}
