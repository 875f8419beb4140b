import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Acting } from "../domain/caller";
import type { Client } from "../domain/client";
import type { ClientReader } from "../domain/read-client";
import type { LeadLookup, LeadReader } from "../domain/read-lead";
import type { Database } from "./client";
import { clientColumns, leadColumns } from "./columns";
import { type GatedReadOptions, gatedRead, type PreparedRead } from "./gated-read";
import { clients, financialEntities, leads } from "./schema";
import { StoredValueError } from "./stored-values";

async function decoded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    // JSON.parse quotes the value it could not read: neither it nor its cause may reach a log.
    if (error instanceof SyntaxError) throw new StoredValueError("a stored value could not be decoded");
    throw error;
  }
}

export type ReadStoreOptions = GatedReadOptions;

/**
 * Reads of clients and leads over libSQL: one database request per read. The
 * entity a read acts for is a bound value for a token; for an integration key
 * it is the key's own, found by the same request only when the key is live
 * and carries the read's scope, and the request ends by reading the key's row
 * for the domain to judge (see `actingAs`).
 *
 * @example
 * const reads = createReadStore(db, { timeoutMs: 5_000 });
 * const { client } = await reads.findClient(clientId, { caller, at }, "users:read");
 */
export function createReadStore(db: Database, options: ReadStoreOptions): ClientReader & LeadReader {
  /** Runs the read between the credential's own statements, as one batch. */
  async function acting<T>(as: Acting, scope: string, build: (entity: SQL) => PreparedRead) {
    const { apiKey, query, result } = await decoded(() => gatedRead(db, as, scope, build, options));
    const rows = (await decoded(async () => query.mapResult(result, true))) as T[];
    return { apiKey, row: rows[0] };
  }

  return {
    async findClient(clientId, as, scope) {
      const { apiKey, row } = await acting<Client>(as, scope, (entity) =>
        db
          .select(clientColumns)
          .from(clients)
          .where(and(eq(clients.id, clientId), sql`${clients.financialEntityId} = ${entity}`))
          .prepare(),
      );
      return { client: row ?? null, apiKey };
    },
    async findLead(leadId, as, scope) {
      type Row = {
        lead: LeadLookup["lead"];
        entityId: string | null;
        entityEcosystemId: string | null;
        convertedClientEntityId: string | null;
      };
      const { apiKey, row } = await acting<Row>(as, scope, (entity) =>
        db
          .select({
            lead: leadColumns,
            entityId: financialEntities.id,
            entityEcosystemId: financialEntities.ecosystemId,
            convertedClientEntityId: clients.financialEntityId,
          })
          .from(leads)
          .leftJoin(financialEntities, sql`${financialEntities.id} = ${entity}`)
          .leftJoin(clients, eq(clients.id, leads.convertedClientId))
          // Nothing at all is read for a key that may not act.
          .where(and(eq(leads.id, leadId), sql`${entity} is not null`))
          .prepare(),
      );
      const found: LeadLookup | null =
        row === undefined
          ? null
          : {
              lead: row.lead,
              entity: row.entityId === null ? null : { id: row.entityId, ecosystemId: row.entityEcosystemId! },
              convertedClientEntityId: row.convertedClientEntityId,
            };
      return { found, apiKey };
    },
  };
}
