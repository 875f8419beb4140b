import { type ApiKeySnapshot, decideOwnKeyAccess } from "./api-key";
import type { Acting, Caller } from "./caller";
import type { LeadStatus } from "./lead";
import { nitKey } from "./nit-key";
import { isLeadVisibleTo, type LeadLookup, type LeadView } from "./read-lead";
import { LEADS_WRITE_SCOPE, tokenHasScope } from "./scopes";

/** The most leads one `POST /leads/bulk` may carry (Salesforce's composite takes 200, HubSpot's batch 100). */
export const MAX_BULK_NEW_LEADS = 500;

/**
 * A JSON member's (`history`, `payment_data`, `additional_data`) largest value, as UTF-8 JSON: what a create
 * takes, and what a merge patch may leave `payment_data` and `additional_data` at.
 */
export const MAX_LEAD_JSON_BYTES = 8 * 1024;

/** A lead's status as a caller may set it: every status but `converted`, which only a conversion gives. */
export type OpenLeadStatus = Exclude<LeadStatus, "converted">;

/** The profile of a lead as the API takes it in: every field optional, null meaning "none". */
export interface LeadProfile {
  image?: string | null;
  name?: string | null;
  lastname?: string | null;
  businessName?: string | null;
  quota?: number | null;
  phone?: string | null;
  email?: string | null;
  nit?: string | null;
  address?: string | null;
  history?: unknown[] | null;
  score?: number | null;
  paymentData?: Record<string, unknown> | null;
  apnToken?: string | null;
  businessEntity?: string | null;
  additionalData?: Record<string, unknown> | null;
}

/** Every profile field, in the body's order. */
export const LEAD_PROFILE_FIELDS = [
  "image",
  "name",
  "lastname",
  "businessName",
  "quota",
  "phone",
  "email",
  "nit",
  "address",
  "history",
  "score",
  "paymentData",
  "apnToken",
  "businessEntity",
  "additionalData",
] as const satisfies readonly (keyof LeadProfile)[];

/** One lead as a create request describes it. */
export interface NewLead {
  profile: LeadProfile;
  status: OpenLeadStatus;
  /** The caller's own id for the lead; null when it sent none. */
  externalId: string | null;
  /** Absent: the caller's entity (the default); null: the ecosystem's pool; an id: only the caller's own is allowed. */
  financialEntityId?: string | null;
}

/** What the store writes for one lead; ids and keys are chosen before the write. */
export interface NewLeadCommand {
  leadId: string;
  externalId: string | null;
  /** SHA-256 of the lead as requested: a retry with its `external_id` is a replay exactly when this matches. */
  digest: string;
  /** Unassigned, in the ecosystem's shared pool. */
  pool: boolean;
  status: OpenLeadStatus;
  profile: LeadProfile;
  /** `nitKey(profile.nit)`: the store compares keys, it never computes one. */
  nitKey: string;
}

/** One call's writes: one lead (`POST /leads`) or many (`POST /leads/bulk`), decided in order in one database request. */
export interface LeadIntakeCall {
  acting: Acting;
  /** The entity ids the leads name: the batch writes nothing unless each is the caller's own. */
  namedEntityIds: string[];
  requestId: string;
  at: string;
  /** The first 19 characters of every event id this call writes (the rest is random): how the call finds its events. */
  eventIdPrefix: string;
  leads: NewLeadCommand[];
}

/** What one lead's statements left behind, read in the same transaction. */
export interface NewLeadSnapshot {
  /** The lead this call made for the item, if it made one. */
  created: LeadView | null;
  /** The lead the caller's entity made earlier with the item's `external_id`, and the digest it was made from. */
  sameExternalId: { lookup: LeadLookup; digest: string | null } | null;
  /** The oldest other unconverted lead of the ecosystem with the item's NIT key. */
  nitHolder: { id: string; financialEntityId: string | null } | null;
}

export interface LeadIntakeSnapshot {
  entity: { id: string; ecosystemId: string; status: string } | null;
  /** The integration key's row as the batch saw it (null when none has this hash); absent for a token. */
  apiKey?: ApiKeySnapshot | null;
  /** Index-aligned with the call's leads. */
  items: NewLeadSnapshot[];
  /** The events this call wrote that have deliveries to send. */
  eventIds: string[];
}

/** Where leads are created: every lead of a call in one atomic database request. */
export interface LeadIntakeStore {
  createLeads(call: LeadIntakeCall): Promise<LeadIntakeSnapshot>;
}

export type LeadIntakeRefusal =
  | { kind: "unauthorized" }
  | { kind: "insufficient_scope" }
  | { kind: "forbidden" }
  | { kind: "financial_entity_not_found" }
  | { kind: "financial_entity_suspended" };

export type NewLeadOutcome =
  | { kind: "created"; lead: LeadView }
  | { kind: "replayed"; lead: LeadView }
  | { kind: "external_id_conflict"; existingLeadId: string }
  /** `existingLeadId` only when the caller's entity may see that lead. */
  | { kind: "lead_already_exists"; existingLeadId: string | null };

export type LeadIntakeOutcome = { kind: "decided"; items: NewLeadOutcome[]; eventIds: string[] } | LeadIntakeRefusal;

/** Raised when a snapshot fits no rule: the store and these rules disagree. */
export class LeadIntakeInvariantError extends Error {
  override name = "LeadIntakeInvariantError";
}

export interface LeadIntakeContext {
  actor: Caller;
  requestId: string;
  store: LeadIntakeStore;
  newId?: () => string;
  now?: () => Date;
}

/**
 * Creates leads for the caller's entity — one, or a bulk call's — each decided
 * by the same rules in request order: a lead the entity already made with the
 * same `external_id` is a replay (same request) or a conflict (another one);
 * a NIT key an unconverted lead of the ecosystem holds is `lead_already_exists`,
 * naming that lead only when the entity may see it; otherwise the lead is
 * created, assigned to the entity or put in the pool. Problems of the whole call
 * (credential, scope, a named entity that is not the caller's, the entity
 * itself) answer for every lead at once.
 *
 * @example
 * const outcome = await createLeads({ ctx: { actor, requestId, store }, input: { leads: [{ profile, status: "new", externalId: null }] } });
 */
export async function createLeads({
  ctx,
  input,
}: {
  ctx: LeadIntakeContext;
  input: { leads: readonly NewLead[] };
}): Promise<LeadIntakeOutcome> {
  const { actor } = ctx;
  const named = [...new Set(input.leads.flatMap((lead) => (lead.financialEntityId ? [lead.financialEntityId] : [])))];
  if (actor.kind !== "key") {
    if (!tokenHasScope(actor, LEADS_WRITE_SCOPE)) return { kind: "insufficient_scope" };
    if (named.some((id) => id !== actor.financialEntityId)) return { kind: "forbidden" };
  }
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const newId = ctx.newId ?? (() => crypto.randomUUID());
  const commands = await Promise.all(
    input.leads.map(async (lead) => ({
      leadId: newId(),
      externalId: lead.externalId,
      digest: await digestOf(lead),
      pool: lead.financialEntityId === null,
      status: lead.status,
      profile: lead.profile,
      nitKey: nitKey(lead.profile.nit),
    })),
  );
  const snapshot = await ctx.store.createLeads({
    acting: { caller: actor, at },
    namedEntityIds: named,
    requestId: ctx.requestId,
    at,
    eventIdPrefix: newId().slice(0, 19),
    leads: commands,
  });

  if (actor.kind === "key") {
    const refusal = decideOwnKeyAccess(snapshot.apiKey, { at, scope: LEADS_WRITE_SCOPE });
    if (refusal !== null) return refusal;
    if (named.some((id) => id !== snapshot.apiKey!.financialEntityId)) return { kind: "forbidden" };
  }
  const { entity } = snapshot;
  if (entity === null) return { kind: "financial_entity_not_found" };
  if (entity.status !== "active") return { kind: "financial_entity_suspended" };
  return {
    kind: "decided",
    items: snapshot.items.map((item, i) => decideNewLead(item, commands[i]!.digest, entity)),
    eventIds: snapshot.eventIds,
  };
}

/**
 * One lead's outcome, from what its statements left behind.
 *
 * @example
 * decideNewLead({ created: lead, sameExternalId: null, nitHolder: null }, digest, entity) // → { kind: "created", lead }
 */
export function decideNewLead(
  item: NewLeadSnapshot,
  digest: string,
  entity: { id: string; ecosystemId: string },
): NewLeadOutcome {
  if (item.created !== null) return { kind: "created", lead: item.created };
  const same = item.sameExternalId;
  if (same !== null) {
    // A retry of the request that made the lead is answered with the lead — while the entity may still see it.
    if (same.digest === digest && isLeadVisibleTo(same.lookup)) return { kind: "replayed", lead: same.lookup.lead };
    return { kind: "external_id_conflict", existingLeadId: same.lookup.lead.id };
  }
  if (item.nitHolder !== null) {
    const visible = item.nitHolder.financialEntityId === null || item.nitHolder.financialEntityId === entity.id;
    return { kind: "lead_already_exists", existingLeadId: visible ? item.nitHolder.id : null };
  }
  throw new LeadIntakeInvariantError("the lead passed every rule but was not created");
}

/** The lead as requested, every field present (absent and null are one), objects with sorted keys, hashed. */
async function digestOf(lead: NewLead): Promise<string> {
  const canonical = canonicalJson({
    profile: Object.fromEntries(LEAD_PROFILE_FIELDS.map((field) => [field, lead.profile[field] ?? null])),
    status: lead.status,
    external_id: lead.externalId,
    pool: lead.financialEntityId === null,
  });
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
