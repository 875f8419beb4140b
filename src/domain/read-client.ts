import type { Client } from "./client";
import type { Actor } from "./conversion";
import { actorHasScope, USERS_READ_SCOPE } from "./scopes";

/** Where clients are read from: one database request per call. */
export interface ClientReader {
  findClient(clientId: string): Promise<Client | null>;
}

export type ClientReadOutcome =
  | { kind: "found"; client: Client }
  | { kind: "insufficient_scope" }
  | { kind: "user_not_found" };

/**
 * Whether the actor may see this client: only its own entity's clients. Any
 * other client is reported exactly like a missing one.
 */
export function isClientVisibleTo(client: Client, actor: Actor): boolean {
  return client.financialEntityId === actor.financialEntityId;
}

/**
 * Reads one client of the actor's entity.
 *
 * @example
 * const outcome = await readClient({ ctx: { actor, reader }, input: { clientId } });
 * if (outcome.kind === "found") console.log(outcome.client.name);
 */
export async function readClient({
  ctx,
  input,
}: {
  ctx: { actor: Actor; reader: ClientReader };
  input: { clientId: string };
}): Promise<ClientReadOutcome> {
  if (!actorHasScope(ctx.actor, USERS_READ_SCOPE)) return { kind: "insufficient_scope" };
  const client = await ctx.reader.findClient(input.clientId);
  if (client === null || !isClientVisibleTo(client, ctx.actor)) return { kind: "user_not_found" };
  return { kind: "found", client };
}
