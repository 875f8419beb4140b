import { decideKeyAccess } from "./api-key";
import {
  authorizeConversion,
  type Caller,
  CONVERT_SCOPE,
  type ConversionOutcome,
  type ConversionRequest,
  type ConversionStore,
  decideConversion,
} from "./conversion";

export interface ConversionContext {
  actor: Caller;
  requestId: string;
  store: ConversionStore;
  newId?: () => string;
  now?: () => Date;
}

/**
 * Turns a lead into a client of the financial entity the actor acts for.
 *
 * For a token, refusals that need only the token come back without touching
 * the store. For an integration key nothing is known before the database: the
 * key's row is read inside the same atomic attempt, whose statements act only
 * for a valid key, and the snapshot decides the key's checks first, then the
 * conversion's.
 *
 * @example
 * const outcome = await convertLeadToClient({
 *   ctx: { actor, requestId, store },
 *   input: { leadId, financialEntityId },
 * });
 * if (outcome.kind === "converted") console.log(outcome.client.id);
 */
export async function convertLeadToClient({
  ctx,
  input,
}: {
  ctx: ConversionContext;
  input: ConversionRequest;
}): Promise<ConversionOutcome> {
  const { actor } = ctx;
  if (actor.kind !== "key") {
    const refusal = authorizeConversion(actor, input);
    if (refusal !== null) return refusal;
  }

  const newId = ctx.newId ?? (() => crypto.randomUUID());
  const command = {
    ...input,
    onExistingClient: input.onExistingClient ?? "reject",
    clientId: newId(),
    auditId: newId(),
    eventId: newId(),
    // For a key, the store records the key's id, which only the database knows.
    subject: actor.kind === "key" ? `api_key:${actor.prefix}` : actor.subject,
    requestId: ctx.requestId,
    at: (ctx.now?.() ?? new Date()).toISOString(),
    keyHash: actor.kind === "key" ? actor.keyHash : null,
  };
  const snapshot = await ctx.store.convert(command);
  if (actor.kind === "key") {
    const refusal = decideKeyAccess(snapshot.apiKey ?? null, { at: command.at, scope: CONVERT_SCOPE, financialEntityId: input.financialEntityId });
    if (refusal !== null) return refusal;
  }
  const outcome = decideConversion(snapshot, command);
  return outcome.kind === "converted" && (snapshot.deliveriesToSend ?? 0) > 0 ? { ...outcome, eventId: command.eventId } : outcome;
}
