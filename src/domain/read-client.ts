import { type ApiKeySnapshot, decideOwnKeyAccess } from "./api-key";
import type { Acting, Caller } from "./caller";
import type { Client } from "./client";
import { tokenHasScope, USERS_READ_SCOPE } from "./scopes";

/**
 * Where clients are read from: one database request per call, which for a key
 * also reads the key's row and finds only a client of the key's own entity.
 */
export interface ClientReader {
  findClient(
    clientId: string,
    as: Acting,
    scope: string,
  ): Promise<{ client: Client | null; apiKey?: ApiKeySnapshot | null }>;
}

export type ClientReadOutcome =
  | { kind: "found"; client: Client }
  | { kind: "unauthorized" }
  | { kind: "insufficient_scope" }
  | { kind: "user_not_found" };

/**
 * Reads one client of the caller's entity. Any other client is reported
 * exactly like a missing one. A token's scope is checked before the read; a
 * key is judged from the read's own view of its row.
 *
 * @example
 * const outcome = await readClient({ ctx: { actor, reader }, input: { clientId } });
 * if (outcome.kind === "found") console.log(outcome.client.name);
 */
export async function readClient({
  ctx,
  input,
}: {
  ctx: { actor: Caller; reader: ClientReader; now?: () => Date };
  input: { clientId: string };
}): Promise<ClientReadOutcome> {
  const { actor, reader } = ctx;
  const at = (ctx.now?.() ?? new Date()).toISOString();
  if (actor.kind === "key") {
    const { client, apiKey } = await reader.findClient(input.clientId, { caller: actor, at }, USERS_READ_SCOPE);
    const refusal = decideOwnKeyAccess(apiKey, { at, scope: USERS_READ_SCOPE });
    if (refusal !== null) return refusal;
    if (client === null || client.financialEntityId !== apiKey!.financialEntityId) return { kind: "user_not_found" };
    return { kind: "found", client };
  }
  if (!tokenHasScope(actor, USERS_READ_SCOPE)) return { kind: "insufficient_scope" };
  const { client } = await reader.findClient(input.clientId, { caller: actor, at }, USERS_READ_SCOPE);
  if (client === null || client.financialEntityId !== actor.financialEntityId) return { kind: "user_not_found" };
  return { kind: "found", client };
}
