import {
  type Actor,
  authorizeConversion,
  type ConversionOutcome,
  type ConversionRequest,
  type ConversionStore,
  decideConversion,
} from "./conversion";

export interface ConversionContext {
  actor: Actor;
  requestId: string;
  store: ConversionStore;
  newId?: () => string;
  now?: () => Date;
}

/**
 * Turns a lead into a client of the financial entity the actor acts for.
 *
 * Refusals that need only the token come back without touching the store;
 * everything else is one atomic store attempt, whose snapshot decides the outcome.
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
  const refusal = authorizeConversion(ctx.actor, input);
  if (refusal !== null) return refusal;

  const newId = ctx.newId ?? (() => crypto.randomUUID());
  const command = {
    ...input,
    onExistingClient: input.onExistingClient ?? "reject",
    clientId: newId(),
    auditId: newId(),
    eventId: newId(),
    subject: ctx.actor.subject,
    requestId: ctx.requestId,
    at: (ctx.now?.() ?? new Date()).toISOString(),
  };
  const snapshot = await ctx.store.convert(command);
  const outcome = decideConversion(snapshot, command);
  return outcome.kind === "converted" && (snapshot.deliveriesToSend ?? 0) > 0 ? { ...outcome, eventId: command.eventId } : outcome;
}
