import { decideKeyAccess, type KeyRefusal } from "./api-key";
import type { Caller } from "./caller";
import {
  authorizeConversion,
  type ConversionCommand,
  type ConversionOutcome,
  type ConversionRequest,
  type ConversionSnapshot,
  type ConversionStore,
  decideConversion,
} from "./conversion";
import { CONVERT_SCOPE } from "./scopes";

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

  const command = conversionCommand(ctx, input, (ctx.now?.() ?? new Date()).toISOString());
  const snapshot = await ctx.store.convert(command);
  const refusal = keyRefusal(actor, snapshot, command);
  if (refusal !== null) return refusal;
  return withEventId(decideConversion(snapshot, command), snapshot, command);
}

/**
 * The outcome, carrying the attempt's event id when it converted the lead and
 * its event has deliveries to send: the id the route hands to the webhook driver.
 *
 * @example
 * withEventId(decideConversion(snapshot, command), snapshot, command) // → { kind: "converted", …, eventId } when there is a listener
 */
export function withEventId(
  outcome: ConversionOutcome,
  snapshot: Pick<ConversionSnapshot, "deliveriesToSend">,
  command: Pick<ConversionCommand, "eventId">,
): ConversionOutcome {
  return outcome.kind === "converted" && (snapshot.deliveriesToSend ?? 0) > 0
    ? { ...outcome, eventId: command.eventId }
    : outcome;
}

/**
 * One attempt's command for this caller: fresh ids, the instant, and the
 * caller as the store records it — a token's `sub`, or a key's hash (the
 * store records the key's id, which only the database knows).
 */
export function conversionCommand(
  ctx: Pick<ConversionContext, "actor" | "requestId" | "newId">,
  input: ConversionRequest,
  at: string,
): ConversionCommand {
  const { actor } = ctx;
  const newId = ctx.newId ?? (() => crypto.randomUUID());
  return {
    ...input,
    onExistingClient: input.onExistingClient ?? "reject",
    clientId: newId(),
    auditId: newId(),
    eventId: newId(),
    subject: actor.kind === "key" ? `api_key:${actor.prefix}` : actor.subject,
    requestId: ctx.requestId,
    at,
    keyHash: actor.kind === "key" ? actor.keyHash : null,
  };
}

/** For a key, its refusal as the attempt's own read of its row decides it; null for a token (judged before the store). */
export function keyRefusal(
  actor: Caller,
  snapshot: ConversionSnapshot | undefined,
  command: Pick<ConversionCommand, "at" | "financialEntityId">,
): KeyRefusal | null {
  if (actor.kind !== "key") return null;
  return decideKeyAccess(snapshot?.apiKey ?? null, {
    at: command.at,
    scope: CONVERT_SCOPE,
    financialEntityId: command.financialEntityId,
  });
}
