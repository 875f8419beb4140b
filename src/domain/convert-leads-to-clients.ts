import type { Caller } from "./caller";
import {
  authorizeConversion,
  type ConversionCommand,
  type ConversionOutcome,
  type ConversionSnapshot,
  decideConversion,
  type OnExistingClient,
} from "./conversion";
import { conversionCommand, keyRefusal, withEventId } from "./convert-lead-to-client";

/** The most leads one bulk call may carry (Salesforce's `convertLead` takes as many). */
export const MAX_BULK_LEADS = 100;

export interface BulkConversionRequest {
  financialEntityId: string;
  /** Distinct, lower-cased; decided in this order. */
  leadIds: readonly string[];
  /** Default `"reject"`. */
  onExistingClient?: OnExistingClient;
}

/**
 * The store a bulk call needs: every command attempted in order, in one
 * atomic database request, each reporting what it found like a single attempt.
 */
export interface BulkConversionStore {
  convertMany(commands: readonly ConversionCommand[]): Promise<ConversionSnapshot[]>;
}

export type BulkConversionRefusal =
  | { kind: "unauthorized" }
  | { kind: "forbidden" }
  | { kind: "insufficient_scope" }
  | { kind: "financial_entity_not_found" }
  | { kind: "financial_entity_suspended" };

export type BulkConversionOutcome =
  | { kind: "decided"; items: { leadId: string; outcome: ConversionOutcome }[] }
  | BulkConversionRefusal;

export interface BulkConversionContext {
  actor: Caller;
  requestId: string;
  store: BulkConversionStore;
  newId?: () => string;
  now?: () => Date;
}

/**
 * Turns up to {@link MAX_BULK_LEADS} leads into clients of the actor's entity,
 * each decided exactly as the single conversion decides it, in request order
 * (of two leads with the same NIT, the first converts). Problems of the whole
 * request — token, entity — answer for every item at once.
 *
 * @example
 * const outcome = await convertLeadsToClients({ ctx: { actor, requestId, store }, input: { financialEntityId, leadIds } });
 * if (outcome.kind === "decided") outcome.items.forEach(({ leadId, outcome }) => console.log(leadId, outcome.kind));
 */
export async function convertLeadsToClients({
  ctx,
  input,
}: {
  ctx: BulkConversionContext;
  input: BulkConversionRequest;
}): Promise<BulkConversionOutcome> {
  const { financialEntityId, leadIds } = input;
  const { actor } = ctx;
  if (actor.kind !== "key") {
    const refusal = authorizeConversion(actor, { financialEntityId, leadId: leadIds[0] ?? "" });
    if (refusal !== null) return refusal as BulkConversionRefusal;
  }

  const at = (ctx.now?.() ?? new Date()).toISOString();
  const commands = leadIds.map((leadId) =>
    conversionCommand(ctx, { leadId, financialEntityId, onExistingClient: input.onExistingClient }, at),
  );
  const snapshots = await ctx.store.convertMany(commands);
  // Every item saw the same key row: the call's refusal, as for one lead.
  const refusal = keyRefusal(actor, snapshots[0], { at, financialEntityId });
  if (refusal !== null) return refusal;

  // The entity is the same row in every snapshot: read the whole request's problems once.
  const entity = snapshots[0]?.financialEntity ?? null;
  if (entity === null) return { kind: "financial_entity_not_found" };
  if (entity.status !== "active") return { kind: "financial_entity_suspended" };
  return {
    kind: "decided",
    items: snapshots.map((snapshot, i) => {
      const command = commands[i]!;
      return { leadId: command.leadId, outcome: withEventId(decideConversion(snapshot, command), snapshot, command) };
    }),
  };
}
